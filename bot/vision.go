package bot

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	_ "image/png" // decoders for image.Decode
	"io"
	"sync"

	"golang.org/x/image/draw"
	_ "golang.org/x/image/webp"

	"github.com/discordgpt/discordgpt/store"
)

// What the model gets of an image. OpenAI's vision guide (as mirrored on
// 2026-11-26): high detail uses at most 768 px on the short side and 2000
// px on the long side (the patch-based models cap at about 1.57 MP, which
// this also stays under), PNG, JPEG, WEBP or a still GIF, up to 20 MB an
// image. Larger images are scaled down here, before they are encoded,
// instead of sending a 10 MB photo as 13 MB of base64 for the provider to
// shrink.
const (
	visionShort = 768
	visionLong  = 2000
	// visionPassBytes is the largest file sent as it is when its size in
	// pixels is already within the limits.
	visionPassBytes = 2 << 20
	// maxVisionPixels refuses decoding a "pixel bomb": a small file that
	// would decode to gigabytes. 50 MP covers any phone camera.
	maxVisionPixels = 50_000_000
	// visionJPEGQuality is the quality of a scaled-down image.
	visionJPEGQuality = 85
	// visionCacheBytes bounds the scaled images kept in memory, so a
	// photo asked about over several turns is decoded once.
	visionCacheBytes = 8 << 20
)

// errTooManyPixels is an image too large to decode safely.
var errTooManyPixels = errors.New("too many pixels")

// visionState is the bot's image scaler: one decode at a time (a decoded
// photo takes tens of megabytes) and a small cache of results.
type visionState struct {
	decode sync.Mutex
	mu     sync.Mutex
	cache  map[string]visionImage
	order  []string
	bytes  int
}

type visionImage struct {
	contentType string
	data        []byte
}

func (v *visionState) get(key string) (visionImage, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	img, ok := v.cache[key]
	return img, ok
}

func (v *visionState) put(key string, img visionImage) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.cache == nil {
		v.cache = map[string]visionImage{}
	}
	if _, ok := v.cache[key]; ok || len(img.data) > visionCacheBytes/4 {
		return
	}
	v.cache[key] = img
	v.order = append(v.order, key)
	v.bytes += len(img.data)
	for v.bytes > visionCacheBytes && len(v.order) > 0 {
		old := v.order[0]
		v.order = v.order[1:]
		v.bytes -= len(v.cache[old].data)
		delete(v.cache, old)
	}
}

// forgetUser drops a user's images from the cache (after /reset).
func (v *visionState) forgetUser(userID string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	keep := v.order[:0]
	for _, k := range v.order {
		if img, ok := v.cache[k]; ok && len(k) > len(userID) && k[:len(userID)+1] == userID+"/" {
			v.bytes -= len(img.data)
			delete(v.cache, k)
			continue
		}
		keep = append(keep, k)
	}
	v.order = keep
}

// visionFit is the size an image of w×h is sent at.
func visionFit(w, h int) (int, int) {
	scale := 1.0
	long, short := max(w, h), min(w, h)
	if long > visionLong {
		scale = float64(visionLong) / float64(long)
	}
	if float64(short)*scale > visionShort {
		scale = float64(visionShort) / float64(short)
	}
	if scale >= 1 {
		return w, h
	}
	return max(int(float64(w)*scale+0.5), 1), max(int(float64(h)*scale+0.5), 1)
}

// visionBytes returns an image file as the model should get it: as it is
// when it is small enough, else decoded (one at a time), scaled down and
// encoded as JPEG.
func (b *Bot) visionBytes(meta store.FileMeta) (contentType string, data []byte, err error) {
	key := meta.UserID + "/" + meta.ID
	if img, ok := b.vision.get(key); ok {
		return img.contentType, img.data, nil
	}
	f, err := b.files.Open(meta.UserID, meta.ID, meta.Ext)
	if err != nil {
		return "", nil, err
	}
	defer f.Close()
	cfg, format, err := image.DecodeConfig(f)
	if err != nil {
		return "", nil, fmt.Errorf("image header: %w", err)
	}
	if int64(cfg.Width)*int64(cfg.Height) > maxVisionPixels {
		return "", nil, fmt.Errorf("%dx%d: %w", cfg.Width, cfg.Height, errTooManyPixels)
	}
	w, h := visionFit(cfg.Width, cfg.Height)
	if w == cfg.Width && h == cfg.Height && meta.Size <= visionPassBytes && format != "gif" {
		data, err := b.readFile(meta, visionPassBytes)
		return meta.ContentType, data, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return "", nil, err
	}
	b.vision.decode.Lock()
	out, err := func() ([]byte, error) {
		defer b.vision.decode.Unlock()
		var src image.Image
		var err error
		if format == "gif" { // the first frame: the provider takes still images only
			src, err = gif.Decode(f)
		} else {
			src, _, err = image.Decode(f)
		}
		if err != nil {
			return nil, fmt.Errorf("decode image: %w", err)
		}
		dst := image.NewRGBA(image.Rect(0, 0, w, h))
		draw.ApproxBiLinear.Scale(dst, dst.Bounds(), src, src.Bounds(), draw.Src, nil)
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, dst, &jpeg.Options{Quality: visionJPEGQuality}); err != nil {
			return nil, fmt.Errorf("encode image: %w", err)
		}
		return buf.Bytes(), nil
	}()
	if err != nil {
		return "", nil, err
	}
	b.vision.put(key, visionImage{contentType: "image/jpeg", data: out})
	return "image/jpeg", out, nil
}
