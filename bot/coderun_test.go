package bot_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/discordgpt/discordgpt/bot"
	"github.com/discordgpt/discordgpt/sandbox"
)

// needSandbox skips a test where bubblewrap or Debian's Python packages
// are missing, naming what to install; in CI (CI=true) that is a failure.
func needSandbox(t *testing.T) {
	t.Helper()
	err := sandbox.New(sandbox.Config{Dir: t.TempDir()}).Probe(context.Background())
	if err == nil {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("the code sandbox must run in CI: %v", err)
	}
	t.Skipf("code sandbox unavailable here: %v", err)
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// lastToolResult is the result the model got last.
func lastToolResult(t *testing.T, h *harness) string {
	t.Helper()
	reqs := h.ai.Requests()
	res := toolResults(reqs[len(reqs)-1].Chat)
	if len(res) == 0 {
		t.Fatal("no tool result")
	}
	return res[len(res)-1]
}

// TestCode_ChartFromCSV: the common case. A CSV sent earlier is read with
// pandas, plotted with matplotlib (headless, without asking), and the
// chart comes back as the user's file, attached; /reset removes it.
func TestCode_ChartFromCSV(t *testing.T) {
	needSandbox(t)
	for _, api := range bothAPIs {
		t.Run(string(api), func(t *testing.T) {
			h := startBot(t, func(c *bot.Config) { c.API = api; c.RateCount = 0 })
			tm := newToolModel()
			h.ai.SetResponder(tm.respond)
			const u = "7301"
			h.upload(t, u, h.fake.AddAttachment("sales.csv", "text/csv", []byte("month,sales\njan,10\nfeb,15\nmar,7\n")))
			tm.set("plot my sales", "run_python", map[string]string{"code": `import pandas as pd
import matplotlib.pyplot as plt
df = pd.read_csv("sales.csv")
print("total", df["sales"].sum())
df.plot(x="month", y="sales", kind="bar")
plt.show()  # headless: the runner saves the figure
`})
			q := mention(h.fake, u, "code-"+string(api), "plot my sales")
			waitReplyPrefix(t, h, q, "tool: Exit status 0")
			res := lastToolResult(t, h)
			if !strings.Contains(res, "total 32") || !strings.Contains(res, "figure-1.png (file_id") {
				t.Fatalf("result: %q", res)
			}
			// The model was told the file names.
			if sys := h.ai.Requests()[len(h.ai.Requests())-2].Chat.Messages[0].Content; !strings.Contains(sys, "working folder holds the user's files: sales.csv") {
				t.Errorf("system prompt: %q", sys)
			}
			if !sawEdit(h, q, "🐍 Running code…") {
				t.Error("no status line while running")
			}
			var png []byte
			if !h.fake.WaitFor(10*time.Second, func() bool {
				for _, m := range botMessages(h.fake, q.ChannelID) {
					if m.MessageReference != nil && m.MessageReference.MessageID == q.ID && len(m.Attachments) == 1 {
						png, _ = h.fake.FileData(m.Attachments[0])
						return true
					}
				}
				return false
			}) {
				t.Fatal("the chart was not attached")
			}
			if !bytes.HasPrefix(png, []byte("\x89PNG")) || len(png) < 1000 {
				t.Fatalf("attached %d bytes, not a chart", len(png))
			}
			if got := filesOnDisk(t, h.userDir(u)); len(got) != 2 {
				t.Fatalf("files on disk: %v", got)
			}
			if got := h.reset(t, u).Content; got != resetDone+"\n🗑️ Deleted 2 file(s)." {
				t.Fatalf("reset = %q", got)
			}
			if got := filesOnDisk(t, h.userDir(u)); len(got) != 0 {
				t.Fatalf("files on disk after reset: %v", got)
			}
		})
	}
}

// TestCode_EscapesFailSafely runs hostile code as the model would issue
// it. Each case must fail safely: a clear result for the model, the bot
// still answering, nothing outside the run touched. Each names what
// stops it.
func TestCode_EscapesFailSafely(t *testing.T) {
	needSandbox(t)
	h := startBot(t, func(c *bot.Config) {
		c.RateCount = 0
		c.CodeTimeout = 3 * time.Second
		c.CodeMemoryMB = 256
	})
	tm := newToolModel()
	h.ai.SetResponder(tm.respond)
	const victim = "7311"
	h.upload(t, victim, h.fake.AddAttachment("diary.txt", "text/plain", []byte("dear diary, my secret")))
	victimID := fileIDsIn(lastChat(t, h.ai))[0]
	victimPath := filepath.Join(h.userDir(victim), victimID+".txt")
	dbPath := filepath.Join(h.dataDir, "discordgpt.db")
	sentinel := filepath.Join(h.dataDir, "sentinel.txt")
	if err := os.WriteFile(sentinel, []byte("untouched"), 0o600); err != nil {
		t.Fatal(err)
	}
	before := digest(t, victimPath, sentinel, "/etc/passwd")
	discordPort := portOf(t, h.fake.URL)
	aiPort := portOf(t, h.ai.URL)
	sysno := map[string]int{"amd64": 169, "arm64": 142, "arm": 88}[runtime.GOARCH] // reboot(2)
	cases := []struct {
		name, code, want, stops string
	}{
		{"read /etc/shadow", `print(open("/etc/shadow").read())`, "FileNotFoundError", "mount namespace: no /etc"},
		{"read the database by path", fmt.Sprintf(`print(open(%q, "rb").read(100))`, dbPath), "FileNotFoundError", "mount namespace: DATA_DIR is not mounted"},
		{"read another user's file by path", fmt.Sprintf(`print(open(%q).read())`, victimPath), "FileNotFoundError", "mount namespace"},
		{"environment of PID 1 and self", `import os; print(os.getpid(), repr(open("/proc/1/environ","rb").read())); print(sorted(os.environ))`, "1 b'HOME=/tmp", "the code is PID 1 with only the variables bwrap was told to set; bwrap runs with an empty environment"},
		{"the bot's /proc", fmt.Sprintf(`import os; print("bot visible:", os.path.exists("/proc/%d"), sorted(int(p) for p in os.listdir("/proc") if p.isdigit())[:3])`, os.Getpid()), "bot visible: False", "PID namespace"},
		{"connect to fake Discord", fmt.Sprintf(`import socket; socket.create_connection(("127.0.0.1", %d), timeout=2)`, discordPort), "Connection refused", "network namespace: its own loopback, where nothing listens"},
		{"connect to fake OpenAI", fmt.Sprintf(`import socket; socket.create_connection(("127.0.0.1", %d), timeout=2)`, aiPort), "Connection refused", "network namespace"},
		{"resolve a DNS name", `import socket; print(socket.getaddrinfo("example.com", 80))`, "gaierror", "network namespace, no resolv.conf"},
		{"fork bomb", "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass", "Stopped: the run took longer than 3s", "RLIMIT_NPROC, then the wall time; the PID namespace dies with the run"},
		{"allocate 4 GiB", `x = bytearray(4 << 30)`, "MemoryError", "RLIMIT_AS (CODE_MEMORY_MB)"},
		{"fill the working folder", "for i in range(1000):\n    open(f'junk{i}', 'wb').write(b'x' * (1 << 20))", "No space left on device", "the working folder is a sized tmpfs"},
		{"fill /tmp", "for i in range(1000):\n    open(f'/tmp/junk{i}', 'wb').write(b'x' * (1 << 20))", "No space left on device", "/tmp is a sized tmpfs"},
		{"write under /usr", `open("/usr/evil", "w").write("x")`, "Read-only file system", "the system is bound read-only"},
		{"write outside /work and /tmp", `open("/evil", "w").write("x")`, "Read-only file system", "the root is remounted read-only"},
		{"symlink output to /etc/passwd", `import os; os.symlink("/etc/passwd", "passwd.txt"); os.symlink("` + dbPath + `", "db.bin"); print("made links")`, "made links", "outputs are regular files only (lstat, tar type)"},
		{"hard link output to a user file", fmt.Sprintf(`import os; os.link("diary.txt", "hl.txt")`), "Error", "bind mounts: links across mounts fail (EXDEV), and /etc/passwd and the database are not there"},
		{"forged output names", `import io, os, tarfile
buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode="w") as t:
    for name, data in (("../../escape.txt", b"x"), ("/etc/cron.d/evil", b"y")):
        i = tarfile.TarInfo(name); i.size = len(data); t.addfile(i, io.BytesIO(data))
    l = tarfile.TarInfo("link"); l.type = tarfile.SYMTYPE; l.linkname = "/etc/passwd"; t.addfile(l)
    h = tarfile.TarInfo("hard"); h.type = tarfile.LNKTYPE; h.linkname = "/etc/passwd"; t.addfile(h)
os.write(3, buf.getvalue()); os._exit(0)`, "escape.txt (file_id", "the host flattens names and takes regular files only"},
		{"10,000 output files", "for i in range(10000):\n    open(f'o{i}.txt', 'w').write('x')", "more file(s) were not kept", "at most 10 files are taken back"},
		{"a 1 GiB output file", "f = open('big.bin', 'wb')\nfor _ in range(1024):\n    f.write(b'x' * (1 << 20))", "File too large", "RLIMIT_FSIZE: writes past 20 MB fail"},
		{"print 1 GiB", "import sys\nwhile True:\n    sys.stdout.write('x' * 65536)", "Stopped: the run printed far too much", "the print budget"},
		{"infinite loop", "while True:\n    pass", "Stopped: the run took longer than 3s", "wall time (and RLIMIT_CPU)"},
		{"daemon that outlives the run", `import os, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        time.sleep(60)
    os._exit(0)
print("parent done")`, "parent done", "the PID namespace ends with the run: bwrap's init takes every process with it"},
		{"kill(-1, 9)", `import os, signal; os.kill(-1, signal.SIGKILL)`, "No such process", "PID namespace: the code is alone in it"},
		{"ptrace another process", `import ctypes; libc = ctypes.CDLL(None, use_errno=True); print("ptrace", libc.ptrace(16, 1, 0, 0), ctypes.get_errno())`, "ptrace -1", "PID namespace: PID 1 is the code itself"},
		{"mount to regain privileges", `import ctypes; libc = ctypes.CDLL(None, use_errno=True); print("mount", libc.mount(b"none", b"/tmp", b"tmpfs", 0, None), ctypes.get_errno())`, "mount -1", "capabilities dropped"},
		{"unshare a user namespace", `import ctypes; libc = ctypes.CDLL(None, use_errno=True); print("unshare", libc.unshare(0x10000000), ctypes.get_errno())`, "unshare -1", "--disable-userns"},
		{"raw syscall through ctypes", fmt.Sprintf(`import ctypes; libc = ctypes.CDLL(None, use_errno=True); print("reboot", libc.syscall(%d, 0xfee1dead, 672274793, 0x1234567, 0), ctypes.get_errno())`, sysno), "reboot -1", "no CAP_SYS_BOOT in any namespace"},
		{"read /sys", `import os; print(os.listdir("/sys"))`, "FileNotFoundError", "/sys is not mounted"},
		{"a traceback to explain", "def f(x):\n    return 1 / x\nf(0)", "ZeroDivisionError: division by zero", "(a normal failure)"},
	}
	for i, c := range cases {
		c := c
		t.Run(c.name, func(t *testing.T) {
			u := fmt.Sprint(7400 + i)
			q := fmt.Sprintf("case %d", i)
			tm.set(q, "run_python", map[string]string{"code": c.code})
			waitReplyPrefix(t, h, h.dm(u, q), "tool: ")
			res := lastToolResult(t, h)
			if !strings.Contains(res, c.want) {
				t.Errorf("%s (stopped by: %s): result %q lacks %q", c.name, c.stops, truncate(res, 600), c.want)
			}
			for _, secret := range []string{"dear diary", h.cfg.OpenAIKey, h.cfg.DiscordToken, "DATA_DIR", "root:x:0"} {
				if secret != "" && strings.Contains(res, secret) {
					t.Errorf("%s leaked %q", c.name, secret)
				}
			}
		})
	}
	// Nothing outside the runs changed, no process of theirs lives on,
	// and the forged names stayed inside the user's folder.
	if after := digest(t, victimPath, sentinel, "/etc/passwd"); after != before {
		t.Error("a file outside the sandbox changed")
	}
	for _, p := range []string{filepath.Join(h.dataDir, "escape.txt"), filepath.Join(h.dataDir, "files", "escape.txt"), "/evil", "/usr/evil"} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s exists", p)
		}
	}
	tag := bot.SandboxTag(h.dataDir)
	for deadline := time.Now().Add(5 * time.Second); runnerProcesses(tag) > 0 && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond) // the kernel reaps a killed namespace in its own time
	}
	if n := runnerProcesses(tag); n > 0 {
		t.Errorf("%d sandbox processes outlived their runs", n)
	}
	if _, err := os.Stat(dbPath); err != nil {
		t.Errorf("database: %v", err)
	}
}

// digest hashes files, to see that nothing changed.
func digest(t *testing.T, paths ...string) string {
	t.Helper()
	h := sha256.New()
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		h.Write(data)
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

func portOf(t *testing.T, raw string) int {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	var port int
	fmt.Sscan(u.Port(), &port)
	return port
}

// runnerProcesses counts processes running this bot's sandbox runner.
func runnerProcesses(tag string) int {
	n := 0
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		b, err := os.ReadFile(p)
		if err == nil && bytes.Contains(b, []byte("/sandbox/runner.py")) && bytes.Contains(b, []byte(tag)) {
			n++
		}
	}
	return n
}
