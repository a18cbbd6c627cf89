package bot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/discordgpt/discordgpt/bot/llm"
	"github.com/discordgpt/discordgpt/files"
	"github.com/discordgpt/discordgpt/sandbox"
	"github.com/discordgpt/discordgpt/store"
)

// maxCode caps the code the model may send in one run.
const maxCode = 64 << 10

// newSandbox sets up the code interpreter from the configuration.
func newSandbox(cfg Config) *sandbox.Sandbox {
	return sandbox.New(sandbox.Config{Python: cfg.Python, Dir: filepath.Join(cfg.DataDir, "sandbox"),
		Timeout: cfg.CodeTimeout, MemoryMB: cfg.CodeMemoryMB, Tag: SandboxTag(cfg.DataDir)})
}

// SandboxTag marks the code runs of the bot using dataDir in a process
// list (several bots on one machine, or tests side by side).
func SandboxTag(dataDir string) string {
	sum := sha256.Sum256([]byte(dataDir))
	return "discordgpt-" + hex.EncodeToString(sum[:4])
}

// startSandbox probes the sandbox once at start: where it cannot run, the
// tool is not offered and the log says why in one line.
func (b *Bot) startSandbox(ctx context.Context) {
	if b.cfg.Tools != nil && !contains(b.cfg.Tools, "run_python") {
		return
	}
	// Scratch folders of runs a crash interrupted.
	_ = os.RemoveAll(filepath.Join(b.cfg.DataDir, "sandbox"))
	if old, _ := filepath.Glob(filepath.Join(os.TempDir(), "discordgpt-run-*")); len(old) > 0 {
		for _, d := range old {
			if st, err := os.Stat(d); err == nil && time.Since(st.ModTime()) > time.Hour {
				_ = os.RemoveAll(d)
			}
		}
	}
	sb := newSandbox(b.cfg)
	if err := sb.Probe(ctx); err != nil {
		b.log.Warn("code interpreter off", "reason", err.Error())
		return
	}
	b.sandbox = sb
	b.codeSlots = make(chan struct{}, b.cfg.CodeMaxConcurrent)
	b.log.Info("code interpreter on", "python", b.cfg.Python, "timeout", b.cfg.CodeTimeout.String(), "memory_mb", b.cfg.CodeMemoryMB)
}

// codeTool is run_python.
func (b *Bot) codeTool() *tool {
	return &tool{
		def: llm.Tool{Name: "run_python", Description: "Run Python 3 code with numpy, pandas and matplotlib (no network, no installing). " +
			"The user's files are in the working folder under the names the system prompt lists (read-only). " +
			"Files the code writes in the working folder are sent to the user (charts: save them with plt.savefig('name.png')). " +
			fmt.Sprintf("Each run starts fresh and may take at most %s; print what you need to see.", roundDuration(b.cfg.CodeTimeout)),
			Parameters: map[string]any{"type": "object", "properties": map[string]any{
				"code": map[string]any{"type": "string", "description": "The Python code to run."},
			}, "required": []string{"code"}, "additionalProperties": false}},
		status: func(*toolCall) string { return "🐍 Running code…" },
		run:    b.runPythonTool,
	}
}

// codeInputs are the user's files as the code sees them: plain names,
// unique, read-only.
func (b *Bot) codeInputs(userID string) ([]sandbox.Input, error) {
	list, err := b.db.Files(userID)
	if err != nil {
		return nil, err
	}
	used := map[string]bool{}
	var out []sandbox.Input
	for i := len(list) - 1; i >= 0; i-- { // newest first keeps the plain name
		f := list[i]
		p, err := b.files.Path(f.UserID, f.ID, f.Ext)
		if err != nil {
			continue
		}
		name := codeName(f.Name)
		if used[name] {
			name = f.ID[:6] + "-" + name
		}
		used[name] = true
		out = append(out, sandbox.Input{Name: name, Path: p})
	}
	return out, nil
}

// codeName is a file's name in the working folder.
func codeName(name string) string {
	name = files.SanitizeName(name)
	name = strings.NewReplacer("/", "_", "\\", "_").Replace(name)
	if name == "" || name == "." || name == ".." || name == "main.py" {
		name = "file-" + name
	}
	return name
}

// codeFilesNote tells the model the names of the user's files.
func (b *Bot) codeFilesNote(userID string) string {
	in, err := b.codeInputs(userID)
	if err != nil || len(in) == 0 {
		return "\nrun_python's working folder is empty: the user has sent no files."
	}
	names := make([]string, 0, len(in))
	for k, f := range in {
		if k == 30 {
			names = append(names, fmt.Sprintf("and %d more", len(in)-k))
			break
		}
		names = append(names, f.Name)
	}
	return "\nrun_python's working folder holds the user's files: " + strings.Join(names, ", ") + "."
}

func (b *Bot) runPythonTool(ctx context.Context, tc *toolCall) (string, error) {
	var a struct {
		Code string `json:"code"`
	}
	if err := tc.decode(&a); err != nil {
		return "", err
	}
	switch {
	case strings.TrimSpace(a.Code) == "":
		return "", toolErrorf("there is no code to run")
	case len(a.Code) > maxCode:
		return "", toolErrorf("the code is too long (at most %d KB)", maxCode>>10)
	}
	inputs, err := b.codeInputs(tc.userID)
	if err != nil {
		return "", err
	}
	// At most CODE_MAX_CONCURRENT runs at once; a user's runs are one at a
	// time already (their answers queue).
	select {
	case b.codeSlots <- struct{}{}:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	defer func() { <-b.codeSlots }()
	res, err := b.sandbox.Run(ctx, a.Code, inputs)
	if err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		return "", fmt.Errorf("run python: %w", err)
	}
	var sb strings.Builder
	switch res.Stopped {
	case "":
		fmt.Fprintf(&sb, "Exit status %d (%.1f s).\n", res.ExitCode, res.Duration.Seconds())
	case "time":
		fmt.Fprintf(&sb, "Stopped: the run took longer than %s, the limit here.\n", roundDuration(b.cfg.CodeTimeout))
	case "print":
		sb.WriteString("Stopped: the run printed far too much; print less (a summary, .head()).\n")
	case "CPU time limit exceeded":
		sb.WriteString("Stopped: the run used up its CPU time.\n")
	case "file size limit exceeded":
		sb.WriteString("Stopped: the run wrote a file over the size limit (20 MB).\n")
	default:
		fmt.Fprintf(&sb, "Stopped: the run was killed (%s), most likely for using more memory (%d MB) or processes than allowed.\n",
			res.Stopped, b.cfg.CodeMemoryMB)
	}
	if res.Stdout != "" {
		sb.WriteString("--- stdout ---\n" + res.Stdout + "\n")
	}
	if res.Stderr != "" {
		sb.WriteString("--- stderr ---\n" + res.Stderr + "\n")
	}
	var kept []string
	for _, f := range res.Files {
		meta, err := b.saveMade(tc.userID, f.Name, f.Data, tc.valid)
		switch {
		case errors.Is(err, store.ErrStale):
			return "", toolErrorf("the user erased their data meanwhile; the files the code wrote were not kept")
		case err != nil:
			b.log.Warn("keep a file the code wrote", "user_id", tc.userID, "err", err)
			kept = append(kept, f.Name+" (could not be kept)")
			continue
		}
		tc.out.addFile(meta)
		kept = append(kept, fmt.Sprintf("%s (file_id %s, %s)", meta.Name, meta.ID, humanSize(meta.Size)))
	}
	if len(kept) > 0 {
		sb.WriteString("Files written, saved to the user's files and attached to your answer: " + strings.Join(kept, ", ") + ".\n")
	}
	if res.Dropped > 0 {
		fmt.Fprintf(&sb, "%d more file(s) were not kept (at most 10 files, 40 MB in all, regular files only).\n", res.Dropped)
	}
	return sb.String(), nil
}
