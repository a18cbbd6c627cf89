package bot

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strconv"
	"strings"
)

// ReadDotEnv reads KEY=VALUE lines from path. A missing file is no error and
// gives an empty map. Blank lines and lines starting with # are skipped, an
// "export " prefix is allowed, and a value in double quotes may use Go
// escapes; single quotes take the value literally.
func ReadDotEnv(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		key, val, ok := strings.Cut(line, "=")
		key = strings.TrimSpace(key)
		if !ok || key == "" || strings.ContainsAny(key, " \t") {
			return nil, fmt.Errorf("%s line %d: want KEY=VALUE", path, n)
		}
		val = strings.TrimSpace(val)
		switch {
		case len(val) >= 2 && val[0] == '"' && val[len(val)-1] == '"':
			uq, err := strconv.Unquote(val)
			if err != nil {
				return nil, fmt.Errorf("%s line %d: bad quoted value for %s", path, n, key)
			}
			val = uq
		case len(val) >= 2 && val[0] == '\'' && val[len(val)-1] == '\'':
			val = val[1 : len(val)-1]
		default:
			if i := strings.Index(val, " #"); i >= 0 {
				val = strings.TrimSpace(val[:i])
			}
		}
		out[key] = val
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return out, nil
}

// EnvWithDotEnv looks a key up in the real environment first, then in the
// values read from a .env file. A variable set but empty in the real
// environment counts as unset.
func EnvWithDotEnv(dotenv map[string]string) Lookup {
	return func(key string) (string, bool) {
		if v, ok := os.LookupEnv(key); ok && v != "" {
			return v, true
		}
		v, ok := dotenv[key]
		return v, ok
	}
}

// DotEnvWarnings are what the owner should know of their setup before the
// bot starts: a .env readable by other users (it holds the token), and
// variables that look like a misspelt one of ours.
func DotEnvWarnings(path string, dotenv map[string]string) []string {
	var out []string
	if st, err := os.Stat(path); err == nil && st.Mode().Perm()&0o077 != 0 {
		out = append(out, fmt.Sprintf("%s can be read by other users of this machine and holds your token: run chmod 600 %s", path, path))
	}
	keys := make([]string, 0, len(dotenv))
	for k := range dotenv {
		keys = append(keys, k)
	}
	firstWords := map[string]bool{}
	for _, k := range ConfigVars() {
		firstWords[strings.SplitN(k, "_", 2)[0]] = true
	}
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if _, inFile := dotenv[k]; !inFile && firstWords[strings.SplitN(k, "_", 2)[0]] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return append(out, SuggestVars(keys)...)
}
