// Package web reads the web for the model, and nothing it must not reach:
// the address of every connection is checked when it is made (after DNS,
// on every redirect), so loopback, private, link-local, CGNAT, multicast,
// unspecified, reserved and cloud-metadata addresses are refused in all
// their IPv4, IPv6 and IPv4-mapped forms, DNS rebinding included. Only
// hosts the owner allowed by name open the guard.
package web

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"syscall"
)

// ErrRefused is an address the guard does not let the bot reach.
var ErrRefused = errors.New("address refused")

// blocked are the ranges no fetch may reach, beyond what netip's own
// predicates cover (loopback, private, link-local, multicast,
// unspecified). NAT64 (64:ff9b::/96) and 6to4 (2002::/16) are judged by
// the IPv4 address they carry.
var blocked = mustPrefixes(
	"0.0.0.0/8",       // "this network"
	"100.64.0.0/10",   // CGNAT
	"192.0.0.0/24",    // IETF protocol assignments
	"192.0.2.0/24",    // documentation
	"198.18.0.0/15",   // benchmarking
	"198.51.100.0/24", // documentation
	"203.0.113.0/24",  // documentation
	"240.0.0.0/4",     // reserved, and broadcast
	"64:ff9b:1::/48",  // local NAT64
	"100::/64",        // discard
	"2001::/32",       // Teredo
	"2001:db8::/32",   // documentation
	"fc00::/7",        // unique local (fd00::/8 among them)
	"fec0::/10",       // site-local (deprecated)
)

func mustPrefixes(list ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(list))
	for i, s := range list {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}

// Blocked reports whether the bot must not connect to ip, and why.
func Blocked(ip netip.Addr) (bool, string) {
	ip = ip.Unmap() // ::ffff:127.0.0.1 is 127.0.0.1
	switch {
	case !ip.IsValid():
		return true, "not an address"
	case ip.IsLoopback():
		return true, "loopback"
	case ip.IsUnspecified():
		return true, "unspecified"
	case ip.IsPrivate():
		return true, "private network"
	case ip.IsLinkLocalUnicast():
		return true, "link-local (cloud metadata lives here)"
	case ip.IsMulticast(), ip.IsLinkLocalMulticast(), ip.IsInterfaceLocalMulticast():
		return true, "multicast"
	}
	if ip.Is6() {
		b := ip.As16()
		// Embedded IPv4: NAT64 (last 4 bytes) and 6to4 (bytes 2-5).
		if netip.MustParsePrefix("64:ff9b::/96").Contains(ip) {
			if bad, why := Blocked(netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]})); bad {
				return true, "NAT64 of " + why
			}
		}
		if netip.MustParsePrefix("2002::/16").Contains(ip) {
			if bad, why := Blocked(netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]})); bad {
				return true, "6to4 of " + why
			}
		}
	}
	for _, p := range blocked {
		if p.Contains(ip) {
			return true, "reserved range " + p.String()
		}
	}
	return false, ""
}

// Guard decides which hosts may be reached.
type Guard struct {
	// Allow are host or host:port entries the owner allowed (an
	// intranet wiki): reached whatever their address.
	Allow []string
	// Ports are the ports allowed on other hosts; nil means 80 and 443.
	Ports []int
	// LookupIP resolves names; nil means the system resolver.
	LookupIP func(ctx context.Context, host string) ([]netip.Addr, error)
}

// allowed reports whether the owner allowed host (and port).
func (g *Guard) allowed(host, port string) bool {
	host = strings.ToLower(strings.Trim(host, "[]"))
	for _, a := range g.Allow {
		a = strings.ToLower(strings.TrimSpace(a))
		if h, p, err := net.SplitHostPort(a); err == nil {
			if strings.Trim(h, "[]") == host && p == port {
				return true
			}
		} else if strings.Trim(a, "[]") == host {
			return true
		}
	}
	return false
}

func (g *Guard) portOK(port string) bool {
	n, err := strconv.Atoi(port)
	if err != nil {
		return false
	}
	ports := g.Ports
	if ports == nil {
		ports = []int{80, 443}
	}
	for _, p := range ports {
		if p == n {
			return true
		}
	}
	return false
}

// RefusedError says why an address was refused.
type RefusedError struct {
	Host, Why string
}

func (e *RefusedError) Error() string { return fmt.Sprintf("%s: %s", e.Host, e.Why) }
func (e *RefusedError) Unwrap() error { return ErrRefused }

// DialContext connects to addr after checking every address the name
// resolves to, and dials the checked address itself (so a second DNS
// answer cannot swap it: rebinding). The socket is checked again as it
// connects.
func (g *Guard) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	d := &net.Dialer{}
	if g.allowed(host, port) {
		return d.DialContext(ctx, network, addr)
	}
	if !g.portOK(port) {
		return nil, &RefusedError{addr, "only ports 80 and 443 are reached"}
	}
	var ips []netip.Addr
	if ip, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		ips = []netip.Addr{ip}
	} else if ip, ok := legacyIPv4(host); ok {
		ips = []netip.Addr{ip}
	} else {
		lookup := g.LookupIP
		if lookup == nil {
			lookup = func(ctx context.Context, host string) ([]netip.Addr, error) {
				return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
			}
		}
		if ips, err = lookup(ctx, host); err != nil {
			return nil, fmt.Errorf("look up %s: %w", host, err)
		}
	}
	if len(ips) == 0 {
		return nil, fmt.Errorf("look up %s: no address", host)
	}
	for _, ip := range ips {
		if bad, why := Blocked(ip); bad {
			return nil, &RefusedError{host, fmt.Sprintf("resolves to %s (%s)", ip, why)}
		}
	}
	d.Control = func(_, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return &RefusedError{address, "unparsable address"}
		}
		if bad, why := Blocked(ap.Addr()); bad {
			return &RefusedError{address, why}
		}
		return nil
	}
	var last error
	for _, ip := range ips {
		c, err := d.DialContext(ctx, network, net.JoinHostPort(ip.String(), port))
		if err == nil {
			return c, nil
		}
		last = err
	}
	return nil, last
}

// legacyIPv4 reads the IPv4 forms inet_aton takes and URL parsers pass as
// names: 127.1, 0x7f000001, 2130706433, 0177.0.0.1.
func legacyIPv4(host string) (netip.Addr, bool) {
	parts := strings.Split(host, ".")
	if len(parts) == 0 || len(parts) > 4 {
		return netip.Addr{}, false
	}
	vals := make([]uint64, len(parts))
	for i, p := range parts {
		if p == "" {
			return netip.Addr{}, false
		}
		base := 10
		switch {
		case strings.HasPrefix(p, "0x") || strings.HasPrefix(p, "0X"):
			base, p = 16, p[2:]
		case len(p) > 1 && p[0] == '0':
			base, p = 8, p[1:]
		}
		v, err := strconv.ParseUint(p, base, 32)
		if err != nil {
			return netip.Addr{}, false
		}
		vals[i] = v
	}
	var n uint64
	last := len(vals) - 1
	for i := 0; i < last; i++ {
		if vals[i] > 255 {
			return netip.Addr{}, false
		}
		n |= vals[i] << (8 * (3 - i))
	}
	if vals[last] >= 1<<(8*(4-last)) {
		return netip.Addr{}, false
	}
	n |= vals[last]
	return netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}), true
}
