package llm

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"

	openai "github.com/sashabaranov/go-openai"
)

// DefaultImageModel is IMAGE_MODEL's default on OpenAI: its current image
// model (gpt-image-2, snapshot 2026-04-21), checked on ImagePricesTaken.
const DefaultImageModel = "gpt-image-2"

// ImagePricesTaken is when the built-in per-image prices were checked.
const ImagePricesTaken = "2026-11-26"

// Image sizes and qualities the bot asks for.
var (
	ImageSizes     = []string{"1024x1024", "1536x1024", "1024x1536"}
	ImageQualities = []string{"low", "medium", "high"}
)

// builtinImagePrices are dollars per 1024x1024 image by quality, checked
// on ImagePricesTaken. gpt-image-1-mini, gpt-image-1 and dall-e-3 are
// OpenAI's published per-image prices; gpt-image-1.5 is the per-image
// table resellers publish for it; OpenAI prices gpt-image-2 by tokens
// only ($30 per million image output tokens), so its row is that rate
// times the output tokens OpenAI documents per image for its gpt-image
// models (272, 1056 and 4160 tokens at 1024x1024), rounded up.
var builtinImagePrices = map[string]map[string]float64{
	"gpt-image-2":      {"low": 0.009, "medium": 0.032, "high": 0.125},
	"gpt-image-1.5":    {"low": 0.009, "medium": 0.034, "high": 0.133},
	"gpt-image-1":      {"low": 0.011, "medium": 0.042, "high": 0.167},
	"gpt-image-1-mini": {"low": 0.005, "medium": 0.011, "high": 0.036},
	"dall-e-3":         {"low": 0.040, "medium": 0.040, "high": 0.080},
}

// IsGPTImage reports whether model is one of OpenAI's gpt-image models,
// which always answer in base64 and take no response_format.
func IsGPTImage(model string) bool {
	m := strings.ToLower(model)
	if i := strings.LastIndexByte(m, '/'); i >= 0 {
		m = m[i+1:]
	}
	return strings.HasPrefix(m, "gpt-image-") || strings.HasPrefix(m, "chatgpt-image")
}

// ImageCost prices one image of model at quality and size ("1024x1536").
// A model without a per-image price costs the dearest built-in image when
// an unknown price is set (budgets are on), else 0; known says which.
func (p *Prices) ImageCost(model, quality, size string) (usd float64, known bool) {
	scale := 1.0
	var w, h int
	if _, err := fmt.Sscanf(size, "%dx%d", &w, &h); err == nil && w > 0 && h > 0 {
		scale = float64(w*h) / (1024 * 1024)
	}
	pr, ok := p.Lookup(model)
	if ok && len(pr.PerImage) > 0 {
		v, ok := pr.PerImage[quality]
		if !ok { // "auto" or a quality without a price: the dearest
			for _, x := range pr.PerImage {
				v = max(v, x)
			}
		}
		return v * scale, true
	}
	if p.unknown == nil {
		return 0, false
	}
	dearest := 0.0
	for _, q := range builtinImagePrices {
		for _, x := range q {
			dearest = max(dearest, x)
		}
	}
	return dearest * scale, false
}

// ImageRequest asks for one image.
type ImageRequest struct {
	Model, Prompt, Size, Quality string
	// Source, when set, is a PNG, JPEG or WebP image to edit.
	Source     []byte
	SourceName string
}

// ImageResult is one image made.
type ImageResult struct {
	Data []byte
	// Ext is the file extension of Data's format, with its dot.
	Ext string
	// Reached is set once the provider accepted the request (it may bill).
	Reached bool
}

// ErrNoImage is a provider answer without an image in it.
var ErrNoImage = errors.New("the provider sent back no image")

// Image makes (or, with a source, edits) one image through the images
// endpoint. Provider errors are retried like chat calls.
func (c *Client) Image(ctx context.Context, req ImageRequest) (ImageResult, error) {
	var res ImageResult
	req.Size, req.Quality = wireImage(req.Model, req.Size, req.Quality)
	format := ""
	if !IsGPTImage(req.Model) {
		format = openai.CreateImageResponseFormatB64JSON // gpt-image models refuse the parameter
	}
	resp, err := withRetries(ctx, c.backoff, func(ctx context.Context) (openai.ImageResponse, error) {
		if req.Source != nil {
			return c.editImage(ctx, req, format)
		}
		return c.ai.CreateImage(ctx, openai.ImageRequest{Prompt: req.Prompt, Model: req.Model, N: 1, Size: req.Size,
			Quality: req.Quality, ResponseFormat: format})
	})
	if err != nil {
		// A refusal (moderation, a bad size, a 5xx after retries) is not
		// billed. A call given up while the provider was drawing (a
		// timeout, /stop) may well be: OpenAI finishes what it started,
		// so it counts.
		res.Reached = errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)
		return res, fmt.Errorf("image: %w", err)
	}
	res.Reached = true
	if len(resp.Data) == 0 || resp.Data[0].B64JSON == "" {
		return res, ErrNoImage
	}
	data, err := base64.StdEncoding.DecodeString(resp.Data[0].B64JSON)
	if err != nil {
		return res, fmt.Errorf("image: %w: %v", ErrNoImage, err)
	}
	res.Data = data
	switch {
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		res.Ext = ".png"
	case bytes.HasPrefix(data, []byte("\xff\xd8\xff")):
		res.Ext = ".jpg"
	case len(data) > 12 && string(data[:4]) == "RIFF" && string(data[8:12]) == "WEBP":
		res.Ext = ".webp"
	default:
		return res, fmt.Errorf("image: %w (not PNG, JPEG or WebP)", ErrNoImage)
	}
	return res, nil
}

// wireImage maps the bot's sizes and qualities to what dall-e-3 takes
// (1792-pixel sides, standard or hd); the gpt-image models take them as
// they are.
func wireImage(model, size, quality string) (string, string) {
	if !strings.Contains(strings.ToLower(model), "dall-e-3") {
		return size, quality
	}
	switch size {
	case "1536x1024":
		size = "1792x1024"
	case "1024x1536":
		size = "1024x1792"
	}
	if quality == "high" {
		return size, "hd"
	}
	return size, "standard"
}

// editImage posts to /images/edits itself: go-openai always sends a
// response_format field there, which the gpt-image models do not take.
func (c *Client) editImage(ctx context.Context, req ImageRequest, format string) (openai.ImageResponse, error) {
	var out openai.ImageResponse
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="image"; filename=%q`, req.SourceName))
	h.Set("Content-Type", http.DetectContentType(req.Source))
	part, err := mw.CreatePart(h)
	if err != nil {
		return out, err
	}
	if _, err := part.Write(req.Source); err != nil {
		return out, err
	}
	fields := [][2]string{{"prompt", req.Prompt}, {"model", req.Model}, {"n", "1"}, {"size", req.Size}, {"quality", req.Quality}, {"response_format", format}}
	for _, f := range fields {
		if f[1] == "" {
			continue
		}
		if err := mw.WriteField(f[0], f[1]); err != nil {
			return out, err
		}
	}
	if err := mw.Close(); err != nil {
		return out, err
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/images/edits", &body)
	if err != nil {
		return out, err
	}
	hr.Header.Set("Content-Type", mw.FormDataContentType())
	if c.key != "" {
		hr.Header.Set("Authorization", "Bearer "+c.key)
	}
	resp, err := c.http.Do(hr)
	if err != nil {
		return out, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 100<<20))
	if err != nil {
		return out, err
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error *openai.APIError `json:"error"`
		}
		if json.Unmarshal(raw, &e) != nil || e.Error == nil {
			return out, &openai.RequestError{HTTPStatus: resp.Status, HTTPStatusCode: resp.StatusCode, Err: fmt.Errorf("images/edits: %s", resp.Status)}
		}
		e.Error.HTTPStatusCode = resp.StatusCode
		e.Error.HTTPStatus = resp.Status
		return out, e.Error
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return out, fmt.Errorf("images/edits: %w", err)
	}
	return out, nil
}
