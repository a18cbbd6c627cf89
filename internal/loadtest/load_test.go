// Package loadtest measures the whole bot process under load, side by
// side with a deliberately naive one-file bot (./onefile), as issue 15
// asks: 50 users each send 10 mentions, each the moment the answer to the
// previous one is complete, against loopback fakes of Discord and OpenAI
// (a model with no delay). Runs alternate between the two bots; the
// medians are printed. It is skipped unless LOADTEST is set:
//
//	LOADTEST=1 go test -count=1 ./internal/loadtest -run TestWholeProcess -v -timeout 30m
//
// TestWholeProcess_Photos, in the same run, is the photo storm: 20 phone
// photos at once, peak RSS within 150 MiB.
//
// LOADTEST_PAIRS sets the number of alternating pairs (default 3);
// LOADTEST_REF_BIN=path runs another build (of an older commit, say) in
// place of the one-file bot;
// LOADTEST_BOT_ENV adds variables to both bots' environment, such as
// "GOGC=50 GODEBUG=gctrace=1"; LOADTEST_VERBOSE=1 prints their output. Peak
// RSS comes from /usr/bin/time -v; boot RSS (with its anonymous and
// file-backed parts) and CPU from /proc; the Discord calls each message
// cost from the fake's log.
package loadtest

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/discordgpt/discordgpt/bot/discordtest"
	"github.com/discordgpt/discordgpt/bot/openaitest"
)

const (
	users       = 50
	perUser     = 10
	stillNotice = "still answering"
)

// result is one run of one bot.
type result struct {
	bootRSS, peakRSS float64 // MiB
	cpuPerMsg        float64 // ms of the bot's CPU per message, boot excluded
	p50, p99, max    time.Duration
	perSecond        float64
	notices          int
	binaryMiB        float64
	bootSplit        string  // boot RSS as anonymous and file-backed pages
	peakSplit        string  // the highest of each, sampled under load
	dataMiB          float64 // the data directory's disk use at the end
	calls            float64 // Discord REST calls per message
	callKinds        string  // those calls by method and route
}

func build(t *testing.T, pkg, out string) string {
	t.Helper()
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", out, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", pkg, err, b)
	}
	return out
}

func TestWholeProcess(t *testing.T) {
	if os.Getenv("LOADTEST") == "" {
		t.Skip("set LOADTEST=1 to run the whole-process measurement (see the package comment)")
	}
	if _, err := os.Stat("/usr/bin/time"); err != nil {
		t.Fatal("needs /usr/bin/time (Debian: apt-get install time)")
	}
	pairs := 3
	if n, err := strconv.Atoi(os.Getenv("LOADTEST_PAIRS")); err == nil && n > 0 {
		pairs = n
	}
	dir := t.TempDir()
	bins := map[string]string{
		"discordgpt":   build(t, "../..", filepath.Join(dir, "discordgpt")),
		"one-file bot": build(t, "./onefile", filepath.Join(dir, "onefile")),
	}
	order := []string{"discordgpt", "one-file bot"}
	if ref := os.Getenv("LOADTEST_REF_BIN"); ref != "" {
		// Another build of discordgpt in place of the one-file bot: a
		// before and after in one run.
		delete(bins, "one-file bot")
		bins["reference"] = ref
		order[1] = "reference"
	}
	got := map[string][]result{}
	for p := 0; p < pairs; p++ {
		for _, name := range order {
			r := runOnce(t, bins[name])
			got[name] = append(got[name], r)
			t.Logf("pair %d %-12s boot %.1f MiB (%s), peak %.1f MiB (%s), CPU %.2f ms/msg, p50 %v, p99 %v, max %v, %.0f msg/s, %d notices, Discord calls/msg %s, data %.1f MiB",
				p+1, name, r.bootRSS, r.bootSplit, r.peakRSS, r.peakSplit, r.cpuPerMsg, r.p50.Round(time.Millisecond), r.p99.Round(time.Millisecond), r.max.Round(time.Millisecond), r.perSecond, r.notices, r.callKinds, r.dataMiB)
		}
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "\nmedians of %d pairs (%d users x %d messages)\n", pairs, users, perUser)
	fmt.Fprintf(&sb, "| figure | %s | %s |\n|---|---|---|\n", order[0], order[1])
	row := func(label string, f func(result) float64, format string) {
		fmt.Fprintf(&sb, "| %s |", label)
		for _, name := range order {
			fmt.Fprintf(&sb, " "+format+" |", median(got[name], f))
		}
		sb.WriteString("\n")
	}
	row("binary (MiB)", func(r result) float64 { return r.binaryMiB }, "%.1f")
	row("RSS after boot (MiB)", func(r result) float64 { return r.bootRSS }, "%.1f")
	row("peak RSS (MiB)", func(r result) float64 { return r.peakRSS }, "%.1f")
	row("bot CPU per message (ms)", func(r result) float64 { return r.cpuPerMsg }, "%.2f")
	// The machine's speed drifts between pairs; the ratio within each
	// pair is steadier than the ratio of the medians.
	ratios := make([]float64, 0, pairs)
	for i := range got[order[0]] {
		if ref := got[order[1]][i].cpuPerMsg; ref > 0 {
			ratios = append(ratios, got[order[0]][i].cpuPerMsg/ref)
		}
	}
	if len(ratios) > 0 {
		sort.Float64s(ratios)
		fmt.Fprintf(&sb, "| bot CPU per message, %s / %s (median of the pairs' ratios) | %.2f | |\n", order[0], order[1], ratios[len(ratios)/2])
	}
	row("event to final answer p50 (ms)", func(r result) float64 { return float64(r.p50) / 1e6 }, "%.0f")
	row("event to final answer p99 (ms)", func(r result) float64 { return float64(r.p99) / 1e6 }, "%.0f")
	row("messages per second", func(r result) float64 { return r.perSecond }, "%.0f")
	row("'still answering' notices", func(r result) float64 { return float64(r.notices) }, "%.0f")
	row("Discord REST calls per message", func(r result) float64 { return r.calls }, "%.2f")
	t.Log(sb.String())
}

func median(rs []result, f func(result) float64) float64 {
	v := make([]float64, len(rs))
	for i, r := range rs {
		v[i] = f(r)
	}
	sort.Float64s(v)
	return v[len(v)/2]
}

// proc is a bot running under /usr/bin/time against its own fakes.
type proc struct {
	fake   *discordtest.Server
	ai     *openaitest.Server
	cmd    *exec.Cmd
	done   chan error
	pid    int // the bot's, not time's
	out    strings.Builder
	outMu  sync.Mutex
	binary string
}

// launch starts bin with the harness's environment and env added, and
// waits until it is connected.
func launch(t *testing.T, bin string, env ...string) *proc {
	p := &proc{fake: discordtest.New(t), ai: openaitest.New(t), done: make(chan error, 1), binary: bin}
	cmd := exec.Command("/usr/bin/time", "-v", bin)
	cmd.Dir = t.TempDir()
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "DISCORD_TOKEN=" + p.fake.Token, "DISCORD_API_URL=" + p.fake.URL,
		"OPENAI_API_KEY=" + openaitest.DefaultKey, "OPENAI_BASE_URL=" + p.ai.URL, "DATA_DIR=" + filepath.Join(cmd.Dir, "data"),
		"DEFAULT_MODEL=gpt-4o-mini", "RATE_LIMIT=off", "LOG_LEVEL=warn", "TOOLS=none", "BACKUP_INTERVAL=0"}
	cmd.Env = append(cmd.Env, env...)
	cmd.Env = append(cmd.Env, strings.Fields(os.Getenv("LOADTEST_BOT_ENV"))...)
	cmd.Stdout = &lockedWriter{w: &p.out, mu: &p.outMu}
	cmd.Stderr = cmd.Stdout
	p.cmd = cmd
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- cmd.Wait() }()
	if !p.fake.WaitConnected(60 * time.Second) {
		_ = cmd.Process.Kill()
		t.Fatalf("%s never connected:\n%s", bin, p.output())
	}
	p.pid = childOf(t, cmd.Process.Pid)
	return p
}

func (p *proc) output() string {
	p.outMu.Lock()
	defer p.outMu.Unlock()
	return p.out.String()
}

// stop ends the bot with SIGTERM and returns its peak RSS in MiB, as
// /usr/bin/time saw it.
func (p *proc) stop(t *testing.T) float64 {
	_ = syscall.Kill(p.pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		t.Fatal("bot did not stop")
	}
	text := p.output()
	if t.Failed() || os.Getenv("LOADTEST_VERBOSE") != "" {
		t.Logf("output of %s:\n%s", filepath.Base(p.binary), text)
	}
	m := regexp.MustCompile(`Maximum resident set size \(kbytes\): (\d+)`).FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("no peak RSS in:\n%s", text)
	}
	kb, _ := strconv.ParseFloat(m[1], 64)
	return kb / 1024
}

// runOnce starts bin, runs the workload, stops it and reads its figures.
func runOnce(t *testing.T, bin string) result {
	var r result
	if st, err := os.Stat(bin); err == nil {
		r.binaryMiB = float64(st.Size()) / (1 << 20)
	}
	p := launch(t, bin)
	fake, botPID := p.fake, p.pid
	time.Sleep(500 * time.Millisecond) // let start-up work settle
	r.bootRSS = rssMiB(botPID)
	r.bootSplit = rssSplit(botPID)
	cpu0 := cpuTicks(botPID)

	// Sample the RSS's parts while the workload runs (the peak above is
	// the kernel's; this says what it was made of).
	sampled := make(chan string, 1)
	stopSampling := make(chan struct{})
	go func() {
		var anon, file float64
		for {
			a, f := rssParts(botPID)
			anon, file = max(anon, a), max(file, f)
			select {
			case <-stopSampling:
				sampled <- fmt.Sprintf("Anon %.1f, File %.1f", anon, file)
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	var mu sync.Mutex
	var lat []time.Duration
	var wg sync.WaitGroup
	start := time.Now()
	for u := 0; u < users; u++ {
		wg.Add(1)
		go func(u int) {
			defer wg.Done()
			user, channel := fmt.Sprint(700000000000000+u), fmt.Sprint(800000000000000+u)
			for i := 0; i < perUser; i++ {
				text := fmt.Sprintf("question %d of user %d", i, u)
				t0 := time.Now()
				m := fake.SendMessage(&discordgo.Message{GuildID: discordtest.DefaultGuildID, ChannelID: channel,
					Author:   &discordgo.User{ID: user, Username: "u" + user},
					Content:  "<@" + fake.BotUser.ID + "> " + text,
					Mentions: []*discordgo.User{&fake.BotUser}})
				want := "echo: " + text
				ok := fake.WaitFor(60*time.Second, func() bool {
					for _, c := range fake.ChannelMessages(channel) {
						if c.MessageReference != nil && c.MessageReference.MessageID == m.ID && c.Content == want {
							return true
						}
					}
					return false
				})
				if !ok {
					t.Errorf("%s: user %d message %d not answered", filepath.Base(bin), u, i)
					return
				}
				mu.Lock()
				lat = append(lat, time.Since(t0))
				mu.Unlock()
			}
		}(u)
	}
	wg.Wait()
	elapsed := time.Since(start)
	cpu1 := cpuTicks(botPID)
	for u := 0; u < users; u++ {
		for _, c := range fake.ChannelMessages(fmt.Sprint(800000000000000 + u)) {
			if c.Author != nil && c.Author.ID == fake.BotUser.ID && strings.Contains(c.Content, stillNotice) {
				r.notices++
			}
		}
	}
	close(stopSampling)
	r.peakSplit = <-sampled
	r.calls, r.callKinds = callsPerMessage(fake.Requests(), users*perUser)
	r.peakRSS = p.stop(t)
	r.dataMiB = dirMiB(filepath.Join(p.cmd.Dir, "data"))
	n := len(lat)
	if n == 0 {
		t.Fatal("nothing answered")
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	r.p50, r.p99, r.max = lat[n/2], lat[min(n-1, n*99/100)], lat[n-1]
	r.perSecond = float64(n) / elapsed.Seconds()
	r.cpuPerMsg = float64(cpu1-cpu0) * 10 / float64(n) // ticks are 10 ms
	return r
}

// callsPerMessage counts the workload's REST calls (those made to its
// channels) per message, and names them by method and route.
func callsPerMessage(reqs []discordtest.Request, msgs int) (float64, string) {
	kinds := map[string]int{}
	n := 0
	for _, q := range reqs {
		const marker = "/channels/8000000000" // the workload's channels
		i := strings.Index(q.Path, marker)
		if i < 0 {
			continue
		}
		rest := q.Path[i+len("/channels/"):]
		_, route, _ := strings.Cut(rest, "/")
		if j := strings.IndexByte(route, '/'); j >= 0 { // messages/ID
			route = route[:j] + "/ID"
		}
		kinds[q.Method+" "+route]++
		n++
	}
	names := make([]string, 0, len(kinds))
	for k, v := range kinds {
		names = append(names, fmt.Sprintf("%s %.2f", k, float64(v)/float64(msgs)))
	}
	sort.Strings(names)
	return float64(n) / float64(msgs), fmt.Sprintf("%.2f (%s)", float64(n)/float64(msgs), strings.Join(names, ", "))
}

type lockedWriter struct {
	w  *strings.Builder
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// childOf finds the one child of pid (the bot under /usr/bin/time).
func childOf(t *testing.T, pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(b))
	if len(f) != 1 {
		t.Fatalf("children of %d: %q", pid, b)
	}
	c, _ := strconv.Atoi(f[0])
	return c
}

func rssMiB(pid int) float64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
			return kb / 1024
		}
	}
	return 0
}

// dirMiB is the disk space the files under dir take (bbolt's file is
// sparse: it is grown ahead of its data).
func dirMiB(dir string) float64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				if st, ok := info.Sys().(*syscall.Stat_t); ok {
					n += st.Blocks * 512
				}
			}
		}
		return nil
	})
	return float64(n) / (1 << 20)
}

// rssParts is pid's anonymous and file-backed RSS in MiB.
func rssParts(pid int) (anon, file float64) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		for k, p := range map[string]*float64{"RssAnon:": &anon, "RssFile:": &file} {
			if v, ok := strings.CutPrefix(line, k); ok {
				kb, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
				*p = kb / 1024
			}
		}
	}
	return anon, file
}

// rssSplit names the anonymous and file-backed parts of pid's RSS.
func rssSplit(pid int) string {
	a, f := rssParts(pid)
	return fmt.Sprintf("Anon %.1f, File %.1f", a, f)
}

// cpuTicks is the process's user+system time in clock ticks (1/100 s).
func cpuTicks(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	u, _ := strconv.ParseInt(f[11], 10, 64)
	k, _ := strconv.ParseInt(f[12], 10, 64)
	return u + k
}
