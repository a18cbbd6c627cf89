package files

import (
	"mime"
	"net/http"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"
)

// SanitizeName makes a user's file name safe to show: no folder parts, no
// control characters, no leading dots, at most 100 characters. It is kept
// as metadata only, never used as a path.
func SanitizeName(name string) string {
	name = strings.ToValidUTF8(name, "")
	name = strings.ReplaceAll(name, "\\", "/")
	name = path.Base(name)
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '/' {
			return -1
		}
		return r
	}, name)
	name = strings.TrimLeft(strings.TrimSpace(name), ".")
	if utf8.RuneCountInString(name) > 100 {
		ext := Ext(name)
		r := []rune(strings.TrimSuffix(name, ext))
		name = string(r[:100-len(ext)]) + ext
	}
	if name == "" {
		name = "file"
	}
	return name
}

// Ext returns the lowercase extension of a name, with its dot, if it is a
// plain one (letters and digits, at most 10); otherwise "".
func Ext(name string) string {
	ext := strings.ToLower(path.Ext(name))
	if !validExt(ext) || ext == "." {
		return ""
	}
	return ext
}

// imageTypes are the image formats that go to the model as vision input.
var imageTypes = map[string]bool{"image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true}

// textTypes names text formats by extension, so the answer does not depend
// on the host's MIME tables.
var textTypes = map[string]string{
	".txt": "text/plain", ".log": "text/plain", ".md": "text/markdown", ".markdown": "text/markdown",
	".csv": "text/csv", ".tsv": "text/tab-separated-values", ".json": "application/json",
	".yaml": "application/yaml", ".yml": "application/yaml", ".toml": "application/toml",
	".xml": "application/xml", ".html": "text/html", ".htm": "text/html", ".css": "text/css",
	".js": "application/javascript", ".ts": "text/x-typescript", ".go": "text/x-go", ".py": "text/x-python",
	".rs": "text/x-rust", ".c": "text/x-c", ".h": "text/x-c", ".cpp": "text/x-c++", ".java": "text/x-java",
	".sh": "application/x-sh", ".ini": "text/plain", ".cfg": "text/plain", ".conf": "text/plain",
	".sql": "text/x-sql", ".rb": "text/x-ruby", ".php": "text/x-php", ".kt": "text/x-kotlin", ".swift": "text/x-swift",
}

// DetectType decides a file's MIME type from its content; the extension
// only refines it (which kind of text, or a binary format the content
// sniffer does not know). An image must prove itself by its bytes.
func DetectType(head []byte, name string) string {
	sniffed := http.DetectContentType(head)
	if i := strings.IndexByte(sniffed, ';'); i >= 0 {
		sniffed = sniffed[:i]
	}
	ext := Ext(name)
	switch {
	case len(head) > 0 && sniffed != "application/octet-stream" && sniffed != "text/plain":
		return sniffed
	case len(head) == 0 || looksText(head):
		if t, ok := textTypes[ext]; ok {
			return t
		}
		if len(head) == 0 {
			return "application/octet-stream"
		}
		return "text/plain"
	}
	if t := mime.TypeByExtension(ext); t != "" && !imageTypes[t] && !strings.HasPrefix(t, "text/") {
		if i := strings.IndexByte(t, ';'); i >= 0 {
			t = t[:i]
		}
		return t
	}
	return "application/octet-stream"
}

// IsImage reports whether the type goes to the model as an image.
func IsImage(contentType string) bool { return imageTypes[contentType] }

// IsText reports whether the type is text the model can read inline.
func IsText(contentType string) bool {
	return strings.HasPrefix(contentType, "text/") || contentType == "application/json" ||
		contentType == "application/xml" || contentType == "application/yaml" ||
		contentType == "application/x-yaml" || contentType == "application/javascript" ||
		contentType == "application/toml" || contentType == "application/x-sh"
}

// looksText reports whether b is UTF-8 without NUL bytes (a cut at the end
// of the sample is allowed).
func looksText(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for i := 0; i < len(b); {
		if b[i] == 0 {
			return false
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return len(b)-i < utf8.UTFMax && !utf8.FullRune(b[i:])
		}
		i += size
	}
	return true
}
