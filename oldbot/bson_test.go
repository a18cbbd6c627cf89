package oldbot

import (
	"math"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// everyType is a document with an element of every BSON type, written by
// the MongoDB driver (as mongodump writes them).
func everyType(t *testing.T) []byte {
	t.Helper()
	oid := bson.NewObjectID()
	dec, _ := bson.ParseDecimal128("1.5")
	b, err := bson.Marshal(bson.D{
		{Key: "double", Value: 2.5}, {Key: "string", Value: "héllo"}, {Key: "doc", Value: bson.D{{Key: "in", Value: int32(7)}}},
		{Key: "array", Value: bson.A{"a", int64(2), bson.D{{Key: "x", Value: true}}}},
		{Key: "binary", Value: bson.Binary{Subtype: 0x80, Data: []byte{1, 2, 3}}}, {Key: "undefined", Value: bson.Undefined{}},
		{Key: "oid", Value: oid}, {Key: "bool", Value: true}, {Key: "date", Value: bson.NewDateTimeFromTime(time.UnixMilli(1700000000123))},
		{Key: "null", Value: nil}, {Key: "regex", Value: bson.Regex{Pattern: "^a", Options: "i"}},
		{Key: "dbpointer", Value: bson.DBPointer{DB: "db.coll", Pointer: oid}}, {Key: "js", Value: bson.JavaScript("f()")},
		{Key: "symbol", Value: bson.Symbol("sym")},
		{Key: "scope", Value: bson.CodeWithScope{Code: "g()", Scope: bson.D{{Key: "v", Value: int32(1)}}}},
		{Key: "int32", Value: int32(-5)}, {Key: "timestamp", Value: bson.Timestamp{T: 1, I: 2}}, {Key: "int64", Value: int64(math.MaxInt64)},
		{Key: "decimal", Value: dec}, {Key: "min", Value: bson.MinKey{}}, {Key: "max", Value: bson.MaxKey{}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The reader walks every type as the driver does, and reads the values
// the importer uses alike.
func TestBSON_EveryTypeAsTheDriverReadsIt(t *testing.T) {
	b := everyType(t)
	d := bsonDoc(b)
	if err := d.validate(); err != nil {
		t.Fatal(err)
	}
	want, err := bson.Raw(b).Elements()
	if err != nil {
		t.Fatal(err)
	}
	got := d.elements()
	if len(got) != len(want) {
		t.Fatalf("%d elements, the driver sees %d", len(got), len(want))
	}
	for i, e := range want {
		if got[i].Key != e.Key() || byte(got[i].Value.Type) != byte(e.Value().Type) || string(got[i].Value.data) != string(e.Value().Value) {
			t.Errorf("element %d: %q %#x, the driver sees %q %#x", i, got[i].Key, byte(got[i].Value.Type), e.Key(), byte(e.Value().Type))
		}
	}
	if s, ok := d.lookup("string").str(); !ok || s != "héllo" {
		t.Errorf("string = %q", s)
	}
	if f, ok := d.lookup("double").asFloat64(); !ok || f != 2.5 {
		t.Errorf("double = %v", f)
	}
	if n, ok := d.lookup("double").asInt64(); !ok || n != 2 {
		t.Errorf("double as int = %v", n)
	}
	if n, ok := d.lookup("int32").asInt64(); !ok || n != -5 {
		t.Errorf("int32 = %v", n)
	}
	if n, ok := d.lookup("int64").asInt64(); !ok || n != math.MaxInt64 {
		t.Errorf("int64 = %v", n)
	}
	if tm, ok := d.lookup("date").time(); !ok || !tm.Equal(time.UnixMilli(1700000000123)) {
		t.Errorf("date = %v", tm)
	}
	if v, ok := d.lookup("bool").boolean(); !ok || !v {
		t.Errorf("bool = %v %v", v, ok)
	}
	if h, ok := d.lookup("oid").objectIDHex(); !ok || h != bson.Raw(b).Lookup("oid").ObjectID().Hex() {
		t.Errorf("oid = %q", h)
	}
	arr, ok := d.lookup("array").array()
	if vals := arr.values(); !ok || len(vals) != 3 {
		t.Fatalf("array = %v", vals)
	}
	in, _ := arr.values()[2].document()
	if v, _ := in.lookup("x").boolean(); !v {
		t.Error("array's document")
	}
	if v := d.lookup("missing"); v.Type != 0 {
		t.Errorf("missing = %+v", v)
	}
	if _, ok := d.lookup("int32").str(); ok {
		t.Error("an int32 read as a string")
	}
}

// Damaged documents are refused, never read past their end.
func TestBSON_DamageIsRefused(t *testing.T) {
	b := everyType(t)
	for n := 0; n < len(b); n++ {
		if err := bsonDoc(b[:n]).validate(); err == nil {
			t.Errorf("the first %d of %d bytes validated", n, len(b))
		}
	}
	for i := range b {
		for _, x := range []byte{0x00, 0x7f, 0xff, b[i] ^ 0x01} {
			c := append([]byte(nil), b...)
			c[i] = x
			d := bsonDoc(c)
			if d.validate() == nil {
				for _, e := range d.elements() { // walked whole without a panic
					_, _ = e.Value.str()
					_, _ = e.Value.asFloat64()
				}
			}
		}
	}
	if err := bsonDoc(nest(200)).validate(); err == nil {
		t.Error("200 nested documents validated")
	}
	if err := bsonDoc(nest(50)).validate(); err != nil {
		t.Errorf("50 nested documents: %v", err)
	}
}

// nest makes depth documents, each the only element of the one around it.
func nest(depth int) []byte {
	d := []byte{5, 0, 0, 0, 0}
	for i := 0; i < depth; i++ {
		n := 4 + 1 + 2 + len(d) + 1
		out := []byte{byte(n), byte(n >> 8), byte(n >> 16), byte(n >> 24), byte(bsonDocument), 'x', 0}
		out = append(out, d...)
		d = append(out, 0)
	}
	return d
}

// FuzzBSON: whatever the bytes, validating and reading never panics.
func FuzzBSON(f *testing.F) {
	f.Add([]byte{5, 0, 0, 0, 0})
	f.Add(nest(3))
	f.Fuzz(func(t *testing.T, b []byte) {
		d := bsonDoc(b)
		_ = d.validate()
		for _, e := range d.elements() {
			if sub, ok := e.Value.document(); ok {
				_ = sub.elements()
			}
			_, _ = e.Value.str()
			_, _ = e.Value.time()
		}
	})
}
