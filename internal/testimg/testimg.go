// Package testimg makes test images: photos as large and as hard to
// compress as a phone's, without test data files.
package testimg

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
)

// Photo is a w×h JPEG at quality: a gradient, with noise when noisy (which
// makes it as large as a real photo of that size).
func Photo(w, h int, noisy bool, quality int) ([]byte, error) {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	seed := uint32(1)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			n := uint8(0)
			if noisy {
				seed = seed*1664525 + 1013904223
				n = uint8(seed >> 24)
			}
			img.Pix[(y*w+x)*4+0] = uint8(x*255/w) ^ n
			img.Pix[(y*w+x)*4+1] = uint8(y*255/h) + n/2
			img.Pix[(y*w+x)*4+2] = n
			img.Pix[(y*w+x)*4+3] = 255
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality}); err != nil {
		return nil, fmt.Errorf("encode photo: %w", err)
	}
	return buf.Bytes(), nil
}
