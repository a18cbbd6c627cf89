package sandbox_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/discordgpt/discordgpt/internal/heappeak"
	"github.com/discordgpt/discordgpt/sandbox"
)

func newSandbox(t testing.TB, cfg sandbox.Config) *sandbox.Sandbox {
	t.Helper()
	cfg.Dir = t.TempDir()
	s := sandbox.New(cfg)
	if err := s.Probe(context.Background()); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the code sandbox must run in CI: %v", err)
		}
		t.Skipf("code sandbox unavailable here: %v", err)
	}
	return s
}

func TestProbe_MissingPieces(t *testing.T) {
	s := sandbox.New(sandbox.Config{Bwrap: "/nonexistent/bwrap", Dir: t.TempDir()})
	if err := s.Probe(context.Background()); !errors.Is(err, sandbox.ErrUnavailable) || !strings.Contains(err.Error(), "apt install bubblewrap") {
		t.Errorf("no bwrap: %v", err)
	}
	s = sandbox.New(sandbox.Config{Python: "/nonexistent/python3", Dir: t.TempDir()})
	if err := s.Probe(context.Background()); !errors.Is(err, sandbox.ErrUnavailable) {
		t.Errorf("no python: %v", err)
	}
}

func TestRun_InputsOutputsAndNames(t *testing.T) {
	s := newSandbox(t, sandbox.Config{})
	dir := t.TempDir()
	in := filepath.Join(dir, "abc.csv")
	if err := os.WriteFile(in, []byte("a,b\n1,2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	res, err := s.Run(context.Background(), `import os
print(open("data.csv").read().strip())
try:
    open("data.csv", "w")
except OSError as e:
    print("read-only:", e.strerror)
os.makedirs("out/deep", exist_ok=True)
open("out/deep/r.txt", "w").write("result")
open("a.txt", "w").write("1")
import sys; sys.exit(3)`, []sandbox.Input{{Name: "data.csv", Path: in}})
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 3 || !strings.Contains(res.Stdout, "a,b\n1,2") || !strings.Contains(res.Stdout, "read-only: Read-only file system") {
		t.Fatalf("result: %+v", res)
	}
	names := map[string]string{}
	for _, f := range res.Files {
		names[f.Name] = string(f.Data)
	}
	if len(names) != 2 || names["a.txt"] != "1" || names["out_deep_r.txt"] != "result" {
		t.Errorf("files: %v", names)
	}
	if data, _ := os.ReadFile(in); string(data) != "a,b\n1,2\n" {
		t.Error("the input changed")
	}
}

func TestRun_StopKillsAtOnce(t *testing.T) {
	s := newSandbox(t, sandbox.Config{Timeout: time.Minute, Tag: "stop-test-tag"})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	_, err := s.Run(ctx, "import time\ntime.sleep(60)", nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v", err)
	}
	// Run returned because the run was killed, not because it ended: the
	// process is gone (the kernel may take a moment to reap it).
	deadline := time.Now().Add(5 * time.Second)
	for runners("stop-test-tag") != 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := runners("stop-test-tag"); n != 0 {
		t.Errorf("%d runner processes left", n)
	}
}

// BenchmarkRun reports the wall time of a trivial run and of a pandas and
// matplotlib chart, and the bot's own heap while runs go on.
func BenchmarkRun(b *testing.B) {
	s := newSandbox(b, sandbox.Config{})
	for _, bc := range []struct{ name, code string }{
		{"trivial", `print(1 + 1)`},
		{"pandas-matplotlib-chart", `import pandas as pd, matplotlib.pyplot as plt
df = pd.DataFrame({"x": range(100), "y": [i * i for i in range(100)]})
df.plot(x="x", y="y")
plt.savefig("chart.png")`},
	} {
		b.Run(bc.name, func(b *testing.B) {
			stop := heappeak.Watch(time.Millisecond)
			for i := 0; i < b.N; i++ {
				res, err := s.Run(context.Background(), bc.code, nil)
				if err != nil || res.ExitCode != 0 {
					b.Fatalf("%v %+v", err, res)
				}
			}
			b.ReportMetric(float64(stop())/(1<<20), "bot-heap-MB")
		})
	}
}

// runners counts processes running the sandbox's runner with tag.
func runners(tag string) int {
	n := 0
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		b, err := os.ReadFile(p)
		if err == nil && strings.Contains(string(b), "/sandbox/runner.py") && strings.Contains(string(b), tag) {
			n++
		}
	}
	return n
}
