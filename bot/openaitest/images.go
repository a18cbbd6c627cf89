package openaitest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
	"time"
)

// ImageRequest is one recorded images request.
type ImageRequest struct {
	// Edit is set for /v1/images/edits.
	Edit                                         bool
	Model, Prompt, Size, Quality, ResponseFormat string
	N                                            int
	// Source is the image sent to be edited.
	Source []byte
	Status int
	Time   time.Time
}

// EnqueueImage scripts the next images answers (Delay, Status, ErrCode,
// ErrType, ErrMessage are used); after them images are drawn.
func (s *Server) EnqueueImage(r ...Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.imageScript = append(s.imageScript, r...)
}

// ImageRequests returns the recorded images requests, oldest first.
func (s *Server) ImageRequests() []ImageRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]ImageRequest(nil), s.imageRequests...)
}

// imageFacts are what OpenAI's image models take, from its images API
// reference: the sizes (gpt-image-2 takes any size whose sides are
// multiples of 16, at most 3840 pixels, no more than 3:1), the qualities,
// whether response_format is a parameter, and whether edits work.
type imageFacts struct {
	sizes     []string // nil: gpt-image-2's flexible sizes
	qualities []string
	format    bool // takes response_format (the gpt-image models refuse it)
	edits     bool
	maxPrompt int
}

var imageModels = map[string]imageFacts{
	"gpt-image-2":      {nil, []string{"low", "medium", "high", "auto"}, false, true, 32000},
	"gpt-image-1.5":    {[]string{"1024x1024", "1536x1024", "1024x1536", "auto"}, []string{"low", "medium", "high", "auto"}, false, true, 32000},
	"gpt-image-1":      {[]string{"1024x1024", "1536x1024", "1024x1536", "auto"}, []string{"low", "medium", "high", "auto"}, false, true, 32000},
	"gpt-image-1-mini": {[]string{"1024x1024", "1536x1024", "1024x1536", "auto"}, []string{"low", "medium", "high", "auto"}, false, true, 32000},
	"dall-e-3":         {[]string{"1024x1024", "1792x1024", "1024x1792"}, []string{"standard", "hd"}, true, false, 4000},
}

func (s *Server) images(w http.ResponseWriter, r *http.Request, edit bool) {
	req := ImageRequest{Edit: edit, Time: time.Now(), N: 1}
	var fields map[string]json.RawMessage
	if edit {
		mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if err != nil || mt != "multipart/form-data" {
			writeError(w, http.StatusBadRequest, "invalid_request_error", "", "Expected multipart/form-data.")
			return
		}
		fields = map[string]json.RawMessage{}
		mr := multipart.NewReader(io.LimitReader(r.Body, 60<<20), params["boundary"])
		for {
			p, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				writeError(w, http.StatusBadRequest, "invalid_request_error", "", "Malformed multipart body.")
				return
			}
			data, _ := io.ReadAll(p)
			switch name := p.FormName(); name {
			case "image", "image[]":
				req.Source = data
			default:
				v, _ := json.Marshal(string(data))
				fields[name] = v
			}
		}
		unq := func(k string) string {
			var v string
			_ = json.Unmarshal(fields[k], &v)
			return v
		}
		req.Model, req.Prompt, req.Size, req.Quality, req.ResponseFormat = unq("model"), unq("prompt"), unq("size"), unq("quality"), unq("response_format")
	} else {
		raw, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		var body struct {
			Model, Prompt, Size, Quality string
			ResponseFormat               string `json:"response_format"`
			N                            int
		}
		if json.Unmarshal(raw, &fields) != nil || json.Unmarshal(raw, &body) != nil {
			writeError(w, http.StatusBadRequest, "invalid_request_error", "", "We could not parse the JSON body of your request.")
			return
		}
		req.Model, req.Prompt, req.Size, req.Quality, req.ResponseFormat = body.Model, body.Prompt, body.Size, body.Quality, body.ResponseFormat
		if body.N != 0 {
			req.N = body.N
		}
	}
	status := s.answerImage(w, req, fields)
	req.Status = status
	s.mu.Lock()
	s.imageRequests = append(s.imageRequests, req)
	s.notify()
	s.mu.Unlock()
}

// answerImage validates the request as OpenAI does and draws the image.
func (s *Server) answerImage(w http.ResponseWriter, req ImageRequest, fields map[string]json.RawMessage) int {
	refuse := func(param, msg string) int {
		writeErrorParam(w, http.StatusBadRequest, "invalid_request_error", "", msg, param)
		return http.StatusBadRequest
	}
	f, ok := imageModels[req.Model]
	if !ok || !s.knownModel(req.Model) {
		writeErrorParam(w, http.StatusNotFound, "invalid_request_error", "model_not_found", "The model `"+req.Model+"` does not exist or you do not have access to it.", "model")
		return http.StatusNotFound
	}
	switch {
	case strings.TrimSpace(req.Prompt) == "":
		return refuse("prompt", "Missing required parameter: 'prompt'.")
	case len([]rune(req.Prompt)) > f.maxPrompt:
		return refuse("prompt", fmt.Sprintf("Invalid 'prompt': string too long. Expected a string with maximum length %d.", f.maxPrompt))
	case !f.format && fields["response_format"] != nil:
		return refuse("response_format", "Unknown parameter: 'response_format'.")
	case req.N < 1 || req.N > 10 || (req.Model == "dall-e-3" && req.N != 1):
		return refuse("n", "Invalid 'n': the number of images must be between 1 and 10 (1 for dall-e-3).")
	case req.Quality != "" && !contains(f.qualities, req.Quality):
		return refuse("quality", fmt.Sprintf("Invalid value: '%s'. Supported values are: %s.", req.Quality, strings.Join(f.qualities, ", ")))
	case req.Edit && !f.edits:
		return refuse("model", "Image editing is not supported for "+req.Model+".")
	case req.Edit && !knownImage(req.Source):
		return refuse("image", "Invalid image file: expected a PNG, JPEG or WebP image.")
	}
	wd, ht, ok := validImageSize(f, req.Size)
	if !ok {
		return refuse("size", fmt.Sprintf("Invalid value: '%s'. That size is not supported for %s.", req.Size, req.Model))
	}
	s.mu.Lock()
	var reply Reply
	if len(s.imageScript) > 0 {
		reply = s.imageScript[0]
		s.imageScript = s.imageScript[1:]
	}
	s.mu.Unlock()
	if reply.Delay > 0 {
		time.Sleep(reply.Delay)
	}
	if reply.Status != 0 {
		writeError(w, reply.Status, reply.ErrType, reply.ErrCode, reply.ErrMessage)
		return reply.Status
	}
	var buf bytes.Buffer
	img := image.NewRGBA(image.Rect(0, 0, wd/16, ht/16)) // small: a test needs a real PNG, not a big one
	for i := range img.Pix {
		img.Pix[i] = byte(len(req.Prompt) + i%7)
	}
	img.Set(0, 0, color.RGBA{255, 0, 0, 255})
	_ = png.Encode(&buf, img)
	out := map[string]any{"created": time.Now().Unix(), "data": []map[string]string{{"b64_json": base64.StdEncoding.EncodeToString(buf.Bytes())}}}
	if f.format {
		delete(out, "usage")
	} else {
		out["usage"] = map[string]any{"input_tokens": len(req.Prompt) / 4, "output_tokens": 1056, "total_tokens": len(req.Prompt)/4 + 1056,
			"input_tokens_details": map[string]int{"text_tokens": len(req.Prompt) / 4, "image_tokens": 0}}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
	return http.StatusOK
}

func validImageSize(f imageFacts, size string) (int, int, bool) {
	if size == "" || size == "auto" {
		return 1024, 1024, size == "" || contains(f.sizes, "auto") || f.sizes == nil
	}
	var wd, ht int
	if _, err := fmt.Sscanf(size, "%dx%d", &wd, &ht); err != nil || wd <= 0 || ht <= 0 {
		return 0, 0, false
	}
	if f.sizes != nil {
		return wd, ht, contains(f.sizes, size)
	}
	long, short := max(wd, ht), min(wd, ht)
	return wd, ht, wd%16 == 0 && ht%16 == 0 && long <= 3840 && long <= 3*short
}

func knownImage(b []byte) bool {
	return bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) || bytes.HasPrefix(b, []byte("\xff\xd8\xff")) ||
		(len(b) > 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
