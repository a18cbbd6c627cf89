// Package sandbox runs untrusted Python in bubblewrap: new user, PID,
// network, IPC, UTS and mount namespaces, the system read-only, no
// network, an empty environment, all capabilities dropped, resource
// limits set before the code starts, and the whole process tree killed
// with the run. The user's files are mounted read-only in the working
// folder; the files the code writes come back through a pipe, checked
// and capped. It knows nothing of Discord.
package sandbox

import (
	"archive/tar"
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

//go:embed runner.py
var runner []byte

// Config sets the interpreter and the limits of a run.
type Config struct {
	// Bwrap and Python are the programs; "" means "bwrap" on PATH and
	// /usr/bin/python3.
	Bwrap, Python string
	// Dir holds the runs' scratch folders (it is created).
	Dir string
	// Timeout is the wall time of a run (CPU time is limited to it too).
	Timeout time.Duration
	// MemoryMB is the address space of each process.
	MemoryMB int
	// MaxProcs caps the processes and threads of the sandbox's user.
	MaxProcs int
	// MaxFileMB caps each file written, and the working folder and /tmp
	// (each a memory file system of that size times 4).
	MaxFileMB int
	// MaxFiles and MaxTotalMB cap the files taken back.
	MaxFiles   int
	MaxTotalMB int
	// MaxPrint caps what is kept of stdout and stderr each; a run that
	// prints more than 64 times that is stopped.
	MaxPrint int
	// Tag is put on each run's command line, so the runs of one bot can
	// be told from another's in a process list.
	Tag string
}

func (c Config) withDefaults() Config {
	if c.Bwrap == "" {
		c.Bwrap = "bwrap"
	}
	if c.Python == "" {
		c.Python = "/usr/bin/python3"
	}
	if c.Timeout <= 0 {
		c.Timeout = 30 * time.Second
	}
	if c.MemoryMB <= 0 {
		c.MemoryMB = 512
	}
	if c.MaxProcs <= 0 {
		c.MaxProcs = 256
	}
	if c.MaxFileMB <= 0 {
		c.MaxFileMB = 20
	}
	if c.MaxFiles <= 0 {
		c.MaxFiles = 10
	}
	if c.MaxTotalMB <= 0 {
		c.MaxTotalMB = 40
	}
	if c.MaxPrint <= 0 {
		c.MaxPrint = 16 << 10
	}
	if c.Tag == "" {
		c.Tag = "discordgpt"
	}
	return c
}

// Input is one of the user's files, mounted read-only in the working
// folder under Name (a plain file name).
type Input struct {
	Name string
	Path string
}

// File is a file the code wrote.
type File struct {
	// Name is the file's path in the working folder, flattened into a
	// plain, safe name.
	Name string
	Data []byte
}

// Result is what a run did.
type Result struct {
	Stdout, Stderr string
	// ExitCode is the code's exit status (0 to 127); -1 when it was
	// stopped or killed.
	ExitCode int
	// Stopped says why the run was stopped, if it was: "time", "print",
	// a signal's name ("killed", "CPU time limit exceeded", "file size
	// limit exceeded": the kernel enforcing a limit), or "".
	Stopped string
	Files   []File
	// Dropped counts files written but not taken back (over MaxFiles or
	// MaxTotalMB, or not regular files).
	Dropped  int
	Duration time.Duration
}

// Sandbox runs code.
type Sandbox struct {
	cfg Config
	// asNobody is set when the bot runs as root: the sandbox then runs as
	// nobody, so the kernel's process limit applies (it never does to
	// root) and the bot's own files are out of reach.
	asNobody bool
}

// ErrUnavailable is a machine where the sandbox cannot run.
var ErrUnavailable = errors.New("the code sandbox is not available")

// New makes a sandbox; Probe says whether it works here.
func New(cfg Config) *Sandbox {
	return &Sandbox{cfg: cfg.withDefaults(), asNobody: os.Geteuid() == 0}
}

// Install is what to install on Debian or Raspberry Pi OS.
const Install = "apt install bubblewrap python3-numpy python3-pandas python3-matplotlib"

// Probe checks that bwrap and the interpreter are there, that namespaces
// can be made, and that numpy, pandas and matplotlib are installed.
func (s *Sandbox) Probe(ctx context.Context) error {
	if _, err := exec.LookPath(s.cfg.Bwrap); err != nil {
		return fmt.Errorf("%w: bwrap not found (%s)", ErrUnavailable, Install)
	}
	if _, err := os.Stat(s.cfg.Python); err != nil {
		return fmt.Errorf("%w: no Python at %s (%s)", ErrUnavailable, s.cfg.Python, Install)
	}
	probe := `import importlib.util as u, sys
missing = [m for m in ("numpy", "pandas", "matplotlib") if u.find_spec(m) is None]
print(" ".join(missing))`
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	res, err := s.Run(ctx, probe, nil)
	switch {
	case err != nil:
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	case res.ExitCode != 0:
		return fmt.Errorf("%w: the sandbox could not start Python (%s): %s", ErrUnavailable, res.Stopped, firstLine(res.Stderr))
	case strings.TrimSpace(res.Stdout) != "":
		return fmt.Errorf("%w: Python lacks %s (%s)", ErrUnavailable, strings.TrimSpace(res.Stdout), Install)
	}
	return nil
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:] // the last line of a traceback says what happened
	}
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

// Run runs code with inputs mounted read-only. ctx cancelled (a /stop)
// kills the run at once. The error is for the bot's failures (bwrap
// missing, a scratch folder that cannot be made); what the code does,
// including being killed, is in the Result.
func (s *Sandbox) Run(ctx context.Context, code string, inputs []Input) (Result, error) {
	start := time.Now()
	cfg := s.cfg
	dir, err := s.scratch()
	if err != nil {
		return Result{}, err
	}
	defer os.RemoveAll(dir)
	for name, data := range map[string][]byte{"main.py": []byte(code), "runner.py": runner} {
		if err := s.writeShared(filepath.Join(dir, name), data); err != nil {
			return Result{}, fmt.Errorf("sandbox code: %w", err)
		}
	}
	inputs, err = s.stage(dir, inputs)
	if err != nil {
		return Result{}, err
	}
	limits, _ := json.Marshal(map[string]int64{
		"RLIMIT_AS":     int64(cfg.MemoryMB) << 20,
		"RLIMIT_CPU":    int64(cfg.Timeout/time.Second) + 1,
		"RLIMIT_NPROC":  int64(cfg.MaxProcs),
		"RLIMIT_NOFILE": 256,
		"RLIMIT_FSIZE":  int64(cfg.MaxFileMB) << 20,
		"RLIMIT_CORE":   0,
	})
	args := s.args(dir, inputs)
	// -E: no PYTHON* variables, -s: no user site folder, -B: no .pyc.
	args = append(args, cfg.Python, "-E", "-s", "-B", "/sandbox/runner.py", string(limits), cfg.Tag)
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, cfg.Bwrap, args...)
	cmd.Env = []string{} // bwrap is PID 1 inside, and its environment is readable there
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if s.asNobody {
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: nobody, Gid: nobody, Groups: []uint32{}}
	}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 2 * time.Second
	printed := &printBudget{max: int64(cfg.MaxPrint) * 64, stop: cancel}
	stdout := &capWriter{max: cfg.MaxPrint, budget: printed}
	stderr := &capWriter{max: cfg.MaxPrint, budget: printed}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	pr, pw, err := os.Pipe()
	if err != nil {
		return Result{}, err
	}
	cmd.ExtraFiles = []*os.File{pw}
	if err := cmd.Start(); err != nil {
		pr.Close()
		pw.Close()
		return Result{}, fmt.Errorf("%w: start bwrap: %v", ErrUnavailable, err)
	}
	pw.Close()
	var files []File
	var dropped int
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		files, dropped = readOutputs(pr, cfg)
		_, _ = io.Copy(io.Discard, pr) // whatever is left, so the writer never blocks
		pr.Close()
	}()
	werr := cmd.Wait()
	wg.Wait()
	res := Result{Stdout: stdout.String(), Stderr: stderr.String(), Files: files, Dropped: dropped, Duration: time.Since(start)}
	res.ExitCode = cmd.ProcessState.ExitCode()
	switch {
	case printed.over():
		res.Stopped, res.ExitCode = "print", -1
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		res.Stopped, res.ExitCode = "time", -1
	case ctx.Err() != nil:
		return res, ctx.Err() // stopped by the caller
	case res.ExitCode > 128 && res.ExitCode < 128+65: // bwrap reports a signal as 128+N
		res.Stopped, res.ExitCode = syscall.Signal(res.ExitCode-128).String(), -1
	case res.ExitCode < 0:
		res.Stopped = "killed"
	}
	var ee *exec.ExitError
	if werr != nil && !errors.As(werr, &ee) && res.Stopped == "" {
		return res, fmt.Errorf("sandbox: %w", werr)
	}
	return res, nil
}

// nobody is the user (and group) the sandbox runs as when the bot is root.
const nobody = 65534

// scratch makes a run's folder: under Dir, or when the sandbox runs as
// nobody (who cannot reach into the bot's folders), under the system's
// temporary folder, readable by nobody's group only.
func (s *Sandbox) scratch() (string, error) {
	parent := s.cfg.Dir
	if s.asNobody {
		parent = os.TempDir()
	}
	if err := os.MkdirAll(parent, 0o700); err != nil {
		return "", fmt.Errorf("sandbox dir: %w", err)
	}
	dir, err := os.MkdirTemp(parent, "discordgpt-run-")
	if err != nil {
		return "", fmt.Errorf("sandbox dir: %w", err)
	}
	if s.asNobody {
		if err := os.Chown(dir, 0, nobody); err == nil {
			err = os.Chmod(dir, 0o750)
		}
		if err != nil {
			os.RemoveAll(dir)
			return "", fmt.Errorf("sandbox dir: %w", err)
		}
	}
	return dir, nil
}

// writeShared writes a file the sandbox reads.
func (s *Sandbox) writeShared(p string, data []byte) error {
	if err := os.WriteFile(p, data, 0o600); err != nil {
		return err
	}
	return s.share(p)
}

// share lets nobody's group read p when the sandbox runs as nobody.
func (s *Sandbox) share(p string) error {
	if !s.asNobody {
		return nil
	}
	if err := os.Chown(p, 0, nobody); err != nil {
		return err
	}
	return os.Chmod(p, 0o640)
}

// stage makes the inputs readable to the sandbox: as they are when the
// sandbox runs as the bot's own user, copied when it runs as nobody.
func (s *Sandbox) stage(dir string, inputs []Input) ([]Input, error) {
	if !s.asNobody || len(inputs) == 0 {
		return inputs, nil
	}
	in := filepath.Join(dir, "in")
	if err := os.Mkdir(in, 0o700); err != nil {
		return nil, err
	}
	if err := os.Chown(in, 0, nobody); err != nil {
		return nil, err
	}
	if err := os.Chmod(in, 0o750); err != nil {
		return nil, err
	}
	out := make([]Input, 0, len(inputs))
	for i, f := range inputs {
		dst := filepath.Join(in, fmt.Sprint(i))
		if err := copyFile(f.Path, dst); err != nil {
			return nil, fmt.Errorf("stage %s: %w", f.Name, err)
		}
		if err := s.share(dst); err != nil {
			return nil, err
		}
		out = append(out, Input{Name: f.Name, Path: dst})
	}
	return out, nil
}

func copyFile(src, dst string) error {
	r, err := os.Open(src)
	if err != nil {
		return err
	}
	defer r.Close()
	w, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, r); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}

// args are bwrap's arguments: the namespaces, the read-only system, a
// fresh /proc and minimal /dev, memory file systems for /tmp and the
// working folder, the code and the inputs read-only.
func (s *Sandbox) args(dir string, inputs []Input) []string {
	cfg := s.cfg
	scratch := fmt.Sprint(int64(cfg.MaxFileMB) << 22) // 4 files' worth
	a := []string{
		// --as-pid-1: the code is PID 1 of its namespace, so no bwrap
		// process is inside for it to trace or read, and when it exits
		// the kernel kills every process it left behind.
		"--unshare-all", "--unshare-user", "--as-pid-1", "--die-with-parent", "--new-session", "--cap-drop", "ALL", "--disable-userns",
		"--hostname", "sandbox", "--uid", "1000", "--gid", "1000",
		"--ro-bind", "/usr", "/usr",
	}
	// Merged /usr (Debian 12, Raspberry Pi OS) has these as links; older
	// systems have them as folders.
	for _, d := range []string{"/bin", "/lib", "/lib64", "/lib32", "/sbin"} {
		if target, err := os.Readlink(d); err == nil {
			a = append(a, "--symlink", target, d)
		} else if st, err := os.Stat(d); err == nil && st.IsDir() {
			a = append(a, "--ro-bind", d, d)
		}
	}
	// numpy finds its BLAS through /etc/alternatives; matplotlib reads
	// /etc/matplotlibrc on Debian.
	for _, p := range []string{"/etc/alternatives", "/etc/matplotlibrc", "/etc/fonts", "/etc/ld.so.cache"} {
		if _, err := os.Stat(p); err == nil {
			a = append(a, "--ro-bind", p, p)
		}
	}
	a = append(a,
		"--proc", "/proc", "--dev", "/dev",
		"--size", scratch, "--tmpfs", "/tmp",
		"--size", scratch, "--tmpfs", "/work",
		"--ro-bind", filepath.Join(dir, "main.py"), "/sandbox/main.py",
		"--ro-bind", filepath.Join(dir, "runner.py"), "/sandbox/runner.py",
	)
	for _, in := range inputs {
		a = append(a, "--ro-bind", in.Path, "/work/"+in.Name)
	}
	for _, kv := range []string{"HOME=/tmp", "TMPDIR=/tmp", "PATH=/usr/bin:/bin", "LANG=C.UTF-8", "MPLBACKEND=Agg",
		"MPLCONFIGDIR=/tmp", "OPENBLAS_NUM_THREADS=1", "OMP_NUM_THREADS=1"} {
		k, v, _ := strings.Cut(kv, "=")
		a = append(a, "--setenv", k, v)
	}
	// The root bwrap builds is a memory file system: read-only, or code
	// could fill the memory by writing outside /tmp and /work.
	return append(a, "--remount-ro", "/", "--chdir", "/work", "--")
}

// readOutputs reads the tar stream the runner sends: regular files only,
// names flattened and made safe, within the count and size caps.
func readOutputs(r io.Reader, cfg Config) ([]File, int) {
	tr := tar.NewReader(r)
	var out []File
	dropped := 0
	total := int64(0)
	used := map[string]bool{}
	for {
		h, err := tr.Next()
		if err != nil {
			return out, dropped
		}
		if h.Typeflag != tar.TypeReg || h.Size < 0 || h.Size > int64(cfg.MaxFileMB)<<20 ||
			len(out) >= cfg.MaxFiles || total+h.Size > int64(cfg.MaxTotalMB)<<20 {
			dropped++
			continue
		}
		name := safeName(h.Name)
		if name == "" {
			dropped++
			continue
		}
		for k := 2; used[name]; k++ {
			ext := path.Ext(name)
			name = fmt.Sprintf("%s-%d%s", strings.TrimSuffix(name, ext), k, ext)
		}
		var buf bytes.Buffer
		if _, err := io.CopyN(&buf, tr, h.Size); err != nil {
			return out, dropped + 1
		}
		used[name] = true
		total += h.Size
		out = append(out, File{Name: name, Data: buf.Bytes()})
	}
}

// safeName flattens a path written by the code into one plain file name:
// "../../x" becomes "x", "plots/a.png" becomes "plots_a.png".
func safeName(p string) string {
	p = strings.ToValidUTF8(p, "")
	var parts []string
	for _, s := range strings.Split(strings.ReplaceAll(p, "\\", "/"), "/") {
		if s == "" || s == "." || s == ".." {
			continue
		}
		parts = append(parts, s)
	}
	name := strings.Join(parts, "_")
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, name)
	if len(name) > 120 {
		ext := path.Ext(name)
		if len(ext) > 10 {
			ext = ""
		}
		name = name[:120-len(ext)] + ext
	}
	return strings.TrimLeft(name, ".")
}

// printBudget stops a run that prints too much.
type printBudget struct {
	mu   sync.Mutex
	n    int64
	max  int64
	stop func()
	hit  bool
}

func (p *printBudget) add(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n += int64(n)
	if p.n > p.max && !p.hit {
		p.hit = true
		p.stop()
	}
}

func (p *printBudget) over() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.hit
}

// capWriter keeps the first max bytes written to it.
type capWriter struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	max    int
	cut    bool
	budget *printBudget
}

func (w *capWriter) Write(p []byte) (int, error) {
	w.budget.add(len(p))
	w.mu.Lock()
	defer w.mu.Unlock()
	if room := w.max - w.buf.Len(); room > 0 {
		w.buf.Write(p[:min(room, len(p))])
	}
	if len(p) > 0 && w.buf.Len() >= w.max {
		w.cut = true
	}
	return len(p), nil
}

func (w *capWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := strings.ToValidUTF8(w.buf.String(), "\uFFFD")
	if w.cut {
		s += fmt.Sprintf("\n[… cut: only the first %d KB are kept]", w.max>>10)
	}
	return s
}
