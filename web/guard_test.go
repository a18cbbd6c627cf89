package web

import (
	"net/netip"
	"testing"
)

func TestBlocked(t *testing.T) {
	for _, c := range []struct {
		ip      string
		blocked bool
	}{
		{"127.0.0.1", true}, {"127.8.9.10", true}, {"0.0.0.0", true}, {"10.1.2.3", true}, {"172.16.0.1", true}, {"172.31.255.255", true},
		{"192.168.1.1", true}, {"100.64.0.1", true}, {"169.254.169.254", true}, {"224.0.0.1", true}, {"255.255.255.255", true},
		{"198.18.0.1", true}, {"::1", true}, {"::", true}, {"::ffff:127.0.0.1", true}, {"::ffff:10.0.0.1", true}, {"fd00::1", true},
		{"fe80::1", true}, {"ff02::1", true}, {"64:ff9b::7f00:1", true}, {"2002:7f00:1::", true}, {"fec0::1", true},
		{"8.8.8.8", false}, {"93.184.216.34", false}, {"172.32.0.1", false}, {"2606:4700::1111", false}, {"64:ff9b::808:808", false},
	} {
		if got, why := Blocked(netip.MustParseAddr(c.ip)); got != c.blocked {
			t.Errorf("Blocked(%s) = %v (%s), want %v", c.ip, got, why, c.blocked)
		}
	}
}

func TestLegacyIPv4(t *testing.T) {
	for in, want := range map[string]string{
		"127.1": "127.0.0.1", "0x7f000001": "127.0.0.1", "2130706433": "127.0.0.1", "0177.0.0.1": "127.0.0.1",
		"10.0.1": "10.0.0.1", "0x7f.1": "127.0.0.1",
	} {
		got, ok := legacyIPv4(in)
		if !ok || got.String() != want {
			t.Errorf("legacyIPv4(%q) = %v %v, want %s", in, got, ok, want)
		}
	}
	for _, in := range []string{"cafe", "example.com", "1.2.3.4.5", "256.1.1.1", "0x1g", ""} {
		if got, ok := legacyIPv4(in); ok {
			t.Errorf("legacyIPv4(%q) = %v, want not an address", in, got)
		}
	}
}
