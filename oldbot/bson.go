package oldbot

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"time"
)

// BSON as the old bot's mongodump holds it, read straight from the bytes
// (the format of bsonspec.org, version 1.1): every element type is
// checked and skipped, and the few the collections use are read. The
// MongoDB driver's bson package did this before; it is now only used by
// the tests, to write the dumps they read (its init and code were about
// 0.5 MB of the bot's memory at start, for a command run once).

// bsonType is an element's type byte.
type bsonType byte

const (
	bsonDouble     bsonType = 0x01
	bsonString     bsonType = 0x02
	bsonDocument   bsonType = 0x03
	bsonArray      bsonType = 0x04
	bsonBinary     bsonType = 0x05
	bsonUndefined  bsonType = 0x06
	bsonObjectID   bsonType = 0x07
	bsonBool       bsonType = 0x08
	bsonDateTime   bsonType = 0x09
	bsonNull       bsonType = 0x0A
	bsonRegex      bsonType = 0x0B
	bsonDBPointer  bsonType = 0x0C
	bsonJavaScript bsonType = 0x0D
	bsonSymbol     bsonType = 0x0E
	bsonCodeScope  bsonType = 0x0F
	bsonInt32      bsonType = 0x10
	bsonTimestamp  bsonType = 0x11
	bsonInt64      bsonType = 0x12
	bsonDecimal128 bsonType = 0x13
	bsonMinKey     bsonType = 0xFF
	bsonMaxKey     bsonType = 0x7F
)

// maxBSONDepth bounds the nesting of documents (MongoDB allows 100).
const maxBSONDepth = 100

// errBSON is any malformed BSON.
var errBSON = errors.New("malformed BSON")

// bsonDoc is one document (or array), as its bytes: an int32 length, the
// elements, a 0 byte.
type bsonDoc []byte

// bsonValue is one element's value.
type bsonValue struct {
	Type bsonType
	data []byte
}

// bsonElement is a key and its value.
type bsonElement struct {
	Key   string
	Value bsonValue
}

// validate checks that d is exactly one well-formed document, nested
// documents included.
func (d bsonDoc) validate() error {
	return validateDoc(d, 0)
}

func validateDoc(d []byte, depth int) error {
	if depth > maxBSONDepth {
		return fmt.Errorf("%w: nested more than %d deep", errBSON, maxBSONDepth)
	}
	if len(d) < 5 {
		return fmt.Errorf("%w: a document of %d bytes", errBSON, len(d))
	}
	if n := binary.LittleEndian.Uint32(d); uint64(n) != uint64(len(d)) {
		return fmt.Errorf("%w: a document says it is %d bytes, not %d", errBSON, n, len(d))
	}
	if d[len(d)-1] != 0 {
		return fmt.Errorf("%w: a document does not end with 0", errBSON)
	}
	body := d[4 : len(d)-1]
	for len(body) > 0 {
		t := bsonType(body[0])
		klen := cstringLen(body[1:])
		if klen < 0 {
			return fmt.Errorf("%w: a key without its end", errBSON)
		}
		rest := body[1+klen+1:]
		n, err := valueLen(t, rest)
		if err != nil {
			return err
		}
		switch t {
		case bsonDocument, bsonArray:
			if err := validateDoc(rest[:n], depth+1); err != nil {
				return err
			}
		case bsonCodeScope:
			slen := int(binary.LittleEndian.Uint32(rest[4:]))
			if err := validateDoc(rest[8+slen:n], depth+1); err != nil {
				return err
			}
		case bsonString, bsonJavaScript, bsonSymbol:
			if rest[n-1] != 0 {
				return fmt.Errorf("%w: a string does not end with 0", errBSON)
			}
		case bsonBool:
			if rest[0] > 1 {
				return fmt.Errorf("%w: a boolean of %d", errBSON, rest[0])
			}
		}
		body = rest[n:]
	}
	return nil
}

// cstringLen is the length of the 0-terminated string at the start of b
// (without its 0), or -1.
func cstringLen(b []byte) int {
	for i, c := range b {
		if c == 0 {
			return i
		}
	}
	return -1
}

// valueLen is the length of a value of type t at the start of b.
func valueLen(t bsonType, b []byte) (int, error) {
	fixed := func(n int) (int, error) {
		if len(b) < n {
			return 0, fmt.Errorf("%w: a value of type %#x cut short", errBSON, byte(t))
		}
		return n, nil
	}
	prefixed := func(extra, least int) (int, error) { // an int32 length first
		if len(b) < 4 {
			return 0, fmt.Errorf("%w: a length cut short", errBSON)
		}
		n := int64(int32(binary.LittleEndian.Uint32(b))) + int64(extra)
		if n < int64(least) || n > int64(len(b)) {
			return 0, fmt.Errorf("%w: a value of type %#x says it is %d bytes, with %d left", errBSON, byte(t), n, len(b))
		}
		return int(n), nil
	}
	switch t {
	case bsonDouble, bsonDateTime, bsonTimestamp, bsonInt64:
		return fixed(8)
	case bsonString, bsonJavaScript, bsonSymbol:
		return prefixed(4, 5)
	case bsonDocument, bsonArray:
		return prefixed(0, 5)
	case bsonBinary:
		return prefixed(5, 5)
	case bsonUndefined, bsonNull, bsonMinKey, bsonMaxKey:
		return 0, nil
	case bsonObjectID:
		return fixed(12)
	case bsonBool:
		return fixed(1)
	case bsonRegex:
		p := cstringLen(b)
		if p < 0 {
			return 0, fmt.Errorf("%w: a regular expression cut short", errBSON)
		}
		o := cstringLen(b[p+1:])
		if o < 0 {
			return 0, fmt.Errorf("%w: a regular expression cut short", errBSON)
		}
		return p + 1 + o + 1, nil
	case bsonDBPointer:
		n, err := prefixed(4, 5)
		if err != nil {
			return 0, err
		}
		if len(b) < n+12 {
			return 0, fmt.Errorf("%w: a DB pointer cut short", errBSON)
		}
		return n + 12, nil
	case bsonCodeScope:
		n, err := prefixed(0, 14)
		if err != nil {
			return 0, err
		}
		slen := int64(int32(binary.LittleEndian.Uint32(b[4:])))
		if slen < 1 || 8+slen+5 > int64(n) {
			return 0, fmt.Errorf("%w: code with scope of the wrong size", errBSON)
		}
		return n, nil
	case bsonInt32:
		return fixed(4)
	case bsonDecimal128:
		return fixed(16)
	}
	return 0, fmt.Errorf("%w: unknown element type %#x", errBSON, byte(t))
}

// elements lists the document's elements in order. On a document that
// did not validate, it stops where the bytes stop making sense.
func (d bsonDoc) elements() []bsonElement {
	if len(d) < 5 {
		return nil
	}
	var out []bsonElement
	body := d[4 : len(d)-1]
	for len(body) > 0 {
		t := bsonType(body[0])
		klen := cstringLen(body[1:])
		if klen < 0 {
			return out
		}
		key := string(body[1 : 1+klen])
		rest := body[1+klen+1:]
		n, err := valueLen(t, rest)
		if err != nil {
			return out
		}
		out = append(out, bsonElement{Key: key, Value: bsonValue{Type: t, data: rest[:n]}})
		body = rest[n:]
	}
	return out
}

// lookup is the value of the first element named key; its Type is 0
// when there is none.
func (d bsonDoc) lookup(key string) bsonValue {
	for _, e := range d.elements() {
		if e.Key == key {
			return e.Value
		}
	}
	return bsonValue{}
}

// values lists an array's values in order.
func (d bsonDoc) values() []bsonValue {
	els := d.elements()
	out := make([]bsonValue, len(els))
	for i, e := range els {
		out[i] = e.Value
	}
	return out
}

// str is a string's text.
func (v bsonValue) str() (string, bool) {
	if v.Type != bsonString || len(v.data) < 5 {
		return "", false
	}
	return string(v.data[4 : len(v.data)-1]), true
}

// document is an embedded document.
func (v bsonValue) document() (bsonDoc, bool) {
	if v.Type != bsonDocument {
		return nil, false
	}
	return bsonDoc(v.data), true
}

// array is an array, as the document it is stored as.
func (v bsonValue) array() (bsonDoc, bool) {
	if v.Type != bsonArray {
		return nil, false
	}
	return bsonDoc(v.data), true
}

// boolean is a boolean's value.
func (v bsonValue) boolean() (bool, bool) {
	if v.Type != bsonBool || len(v.data) != 1 {
		return false, false
	}
	return v.data[0] == 1, true
}

// float is a double's value.
func (v bsonValue) float() float64 {
	if v.Type != bsonDouble || len(v.data) != 8 {
		return 0
	}
	return math.Float64frombits(binary.LittleEndian.Uint64(v.data))
}

// asInt64 is a number as an int64: an int32, an int64, or a double cut to
// its whole part (when it is within int64's range).
func (v bsonValue) asInt64() (int64, bool) {
	switch {
	case v.Type == bsonInt32 && len(v.data) == 4:
		return int64(int32(binary.LittleEndian.Uint32(v.data))), true
	case v.Type == bsonInt64 && len(v.data) == 8:
		return int64(binary.LittleEndian.Uint64(v.data)), true
	case v.Type == bsonDouble && len(v.data) == 8:
		f := v.float()
		if math.IsNaN(f) || f >= math.MaxInt64 || f < math.MinInt64 {
			return 0, false
		}
		return int64(f), true
	}
	return 0, false
}

// asFloat64 is a number (double, int32 or int64) as a float64.
func (v bsonValue) asFloat64() (float64, bool) {
	if v.Type == bsonDouble && len(v.data) == 8 {
		return v.float(), true
	}
	if v.Type == bsonInt32 || v.Type == bsonInt64 {
		n, ok := v.asInt64()
		return float64(n), ok
	}
	return 0, false
}

// time is a UTC datetime (milliseconds since the Unix epoch).
func (v bsonValue) time() (time.Time, bool) {
	if v.Type != bsonDateTime || len(v.data) != 8 {
		return time.Time{}, false
	}
	return time.UnixMilli(int64(binary.LittleEndian.Uint64(v.data))).UTC(), true
}

// objectIDHex is an ObjectId in hexadecimal.
func (v bsonValue) objectIDHex() (string, bool) {
	if v.Type != bsonObjectID || len(v.data) != 12 {
		return "", false
	}
	return hex.EncodeToString(v.data), true
}
