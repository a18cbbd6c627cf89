package bot_test

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/discordgpt/discordgpt/bot"
	"github.com/discordgpt/discordgpt/bot/llm"
	"github.com/discordgpt/discordgpt/bot/openaitest"
	"github.com/discordgpt/discordgpt/extract/extracttest"
	openai "github.com/sashabaranov/go-openai"
)

var bothAPIs = []llm.API{llm.APIChat, llm.APIResponses}

// fileIDs finds the file IDs the bot showed the model, in order.
var fileIDPattern = regexp.MustCompile(`file_id ([a-z2-7]{26})`)

func fileIDsIn(req openai.ChatCompletionRequest) []string {
	raw, _ := json.Marshal(req.Messages)
	var out []string
	for _, m := range fileIDPattern.FindAllStringSubmatch(string(raw), -1) {
		out = append(out, m[1])
	}
	return out
}

// toolResults are the tool messages of a request, oldest first.
func toolResults(req openai.ChatCompletionRequest) []string {
	var out []string
	for _, m := range req.Messages {
		if m.Role == openai.ChatMessageRoleTool {
			out = append(out, m.Content)
		}
	}
	return out
}

// lastIsTool reports whether the model is being given tool results.
func lastIsTool(req openai.ChatCompletionRequest) bool {
	return len(req.Messages) > 0 && req.Messages[len(req.Messages)-1].Role == openai.ChatMessageRoleTool
}

func call(id, name, args string) openai.ToolCall {
	return openai.ToolCall{ID: id, Type: openai.ToolTypeFunction, Function: openai.FunctionCall{Name: name, Arguments: args}}
}

// offered lists the tools a request offered.
func offered(t *testing.T, r openaitest.Request) []string {
	t.Helper()
	var f struct {
		Tools []struct {
			Name     string `json:"name"`
			Function struct {
				Name string `json:"name"`
			} `json:"function"`
		} `json:"tools"`
	}
	if err := json.Unmarshal(r.Raw, &f); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, x := range f.Tools {
		out = append(out, x.Name+x.Function.Name)
	}
	return out
}

// TestTools_CSVReadTwoTurnsLater: a CSV sent in one turn is read by
// read_file two turns later, on both APIs; the status line shows while
// the tool runs, the call and its result stay in the conversation for the
// next turn, and the usage of both rounds is counted.
func TestTools_CSVReadTwoTurnsLater(t *testing.T) {
	for _, api := range bothAPIs {
		t.Run(string(api), func(t *testing.T) {
			h := startBot(t, func(c *bot.Config) { c.API = api; c.RateCount = 0 })
			const u = "7001"
			csv := "region,month,sales\nnorth,jan,10\nsouth,jan,15\nwest,feb,7\n"
			h.upload(t, u, h.fake.AddAttachment("sales.csv", "text/csv", []byte(csv)))
			waitReply(t, h.fake, h.dm(u, "nice weather"), "echo: nice weather")
			var mu sync.Mutex
			var fileID string
			h.ai.SetResponder(func(req openai.ChatCompletionRequest) openaitest.Reply {
				if lastIsTool(req) {
					res := toolResults(req)
					return openaitest.Reply{Text: "The file says: " + strings.Split(res[len(res)-1], "\n")[0]}
				}
				if strings.Contains(openaitest.LastUserText(req), "total sales") {
					ids := fileIDsIn(req)
					mu.Lock()
					fileID = ids[0]
					mu.Unlock()
					return openaitest.Reply{ToolCalls: []openai.ToolCall{call("call_read1", "read_file", `{"file_id":"`+ids[0]+`"}`)},
						Delay: 300 * time.Millisecond}
				}
				return openaitest.Echo(req)
			})
			before := len(h.ai.Requests())
			q := mention(h.fake, u, "tools-"+string(api), "what are the total sales?") // a fresh channel: room for the status edit
			r := waitReplyPrefix(t, h, q, "The file says: File sales.csv")
			reqs := h.ai.Requests()[before:]
			if len(reqs) != 2 {
				t.Fatalf("%d model calls, want 2", len(reqs))
			}
			if names := offered(t, reqs[0]); !slicesContain(names, "read_file") || !slicesContain(names, "list_files") {
				t.Fatalf("tools offered: %v", names)
			}
			res := toolResults(reqs[1].Chat)
			if len(res) != 1 || !strings.Contains(res[0], "3 data rows × 3 columns") || !strings.Contains(res[0], "Header: region,month,sales") ||
				!strings.Contains(res[0], "south,jan,15") {
				t.Fatalf("tool result: %q", res)
			}
			// The status line was shown while the tool ran.
			if !sawEdit(h, q, "🔧 Reading `sales.csv`…") {
				t.Error("no status line while reading")
			}
			_ = r
			// Next turn: the call and its result are in what the model sees.
			h.ai.SetResponder(openaitest.Echo)
			before = len(h.ai.Requests())
			waitReply(t, h.fake, h.dm(u, "and now plot column B"), "echo: and now plot column B")
			next := h.ai.Requests()[before].Chat
			mu.Lock()
			id := fileID
			mu.Unlock()
			replayed := false
			for i, m := range next.Messages {
				if len(m.ToolCalls) == 1 && m.ToolCalls[0].Function.Name == "read_file" && strings.Contains(m.ToolCalls[0].Function.Arguments, id) &&
					i+1 < len(next.Messages) && next.Messages[i+1].Role == "tool" && strings.Contains(next.Messages[i+1].Content, "south,jan,15") {
					replayed = true
				}
			}
			if !replayed {
				t.Fatalf("the tool call was not kept for the next turn: %+v", next.Messages)
			}
			db := h.openStoreAfterStop(t)
			hist, _ := db.History(u, 0)
			var ans *struct{}
			for _, m := range hist {
				if len(m.Tools) == 1 && m.Tools[0].Name == "read_file" {
					ans = &struct{}{}
				}
			}
			if ans == nil {
				t.Fatal("tool use not stored")
			}
			usage, _ := db.UserUsage(u)
			var calls int64
			for _, x := range usage {
				calls += x.Requests
			}
			if calls != 5 { // upload, weather, the two rounds, plot
				t.Errorf("requests counted = %d, want 5", calls)
			}
		})
	}
}

func slicesContain(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// sawEdit reports whether the bot's reply to q ever read text (posted or
// edited to it).
func sawEdit(h *harness, q *discordgo.Message, text string) bool {
	for _, r := range h.fake.Requests() {
		if (r.Method == "PATCH" || r.Method == "POST") && strings.Contains(r.Path, "/channels/"+q.ChannelID+"/messages") &&
			strings.Contains(string(r.Body), jsonFragment(text)) {
			return true
		}
	}
	return false
}

func jsonFragment(s string) string {
	b, _ := json.Marshal(s)
	return strings.Trim(string(b), `"`)
}

// TestTools_Documents: a PDF, a Word document and an Excel workbook made
// by the programs' own libraries are inlined as text on the turn they
// arrive, and read_file reads a later page on the next turn.
func TestTools_Documents(t *testing.T) {
	for _, api := range bothAPIs {
		t.Run(string(api), func(t *testing.T) {
			h := startBot(t, func(c *bot.Config) { c.API = api; c.RateCount = 0 })
			const u = "7002"
			pdf, err := extracttest.PDF("Quarterly report: revenue up 12 percent", "Page two: costs fell in March", "Page three: outlook")
			if err != nil {
				t.Fatal(err)
			}
			docx, _ := extracttest.DOCX("Meeting notes", "The launch moves to Friday.")
			xlsx, _ := extracttest.XLSX(extracttest.Sheet{Name: "Budget", Rows: [][]any{{"item", "cost"}, {"rent", 1200}, {"food", 300}}})
			before := len(h.ai.Requests())
			q := h.dm(u, "summarise these", h.fake.AddAttachment("report.pdf", "application/pdf", pdf),
				h.fake.AddAttachment("notes.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", docx),
				h.fake.AddAttachment("budget.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", xlsx))
			waitReplyPrefix(t, h, q, "echo: summarise these")
			raw, _ := json.Marshal(h.ai.Requests()[before].Chat.Messages)
			for _, want := range []string{"Quarterly report: revenue up 12 percent", "costs fell in March", "--- Page 3 ---",
				"The launch moves to Friday.", `Sheet "Budget": 3 rows × 2 columns`, "rent,1200"} {
				if !strings.Contains(string(raw), jsonFragment(want)) {
					t.Errorf("not inlined: %q", want)
				}
			}
			// On the next turn the documents are named with their IDs, not
			// inlined again; read_file reads page 2 on request.
			h.ai.SetResponder(func(req openai.ChatCompletionRequest) openaitest.Reply {
				if lastIsTool(req) {
					res := toolResults(req)
					return openaitest.Reply{Text: "read: " + res[len(res)-1]}
				}
				ids := fileIDsIn(req)
				return openaitest.Reply{ToolCalls: []openai.ToolCall{call("c1", "read_file", `{"file_id":"`+ids[0]+`","start":2,"count":1}`)}}
			})
			before = len(h.ai.Requests())
			r := waitFinalReply(t, h, h.dm(u, "what is on page 2?"), "read: File report.pdf")
			if !strings.Contains(r, "costs fell in March") || strings.Contains(r, "Quarterly report") || !strings.Contains(r, "start=3") {
				t.Errorf("page 2 read = %q", r)
			}
			var users []openai.ChatCompletionMessage
			for _, m := range h.ai.Requests()[before].Chat.Messages {
				if m.Role == openai.ChatMessageRoleUser {
					users = append(users, m)
				}
			}
			raw, _ = json.Marshal(users)
			if n := strings.Count(string(raw), "costs fell in March"); n != 0 {
				t.Errorf("the PDF was inlined again on a later turn (%d times)", n)
			}
		})
	}
}

// TestTools_HostileArguments: the model asks for another user's file, a
// forged ID, a path, a tool that does not exist and broken JSON; each is
// a short error the model can explain, and nothing leaks.
func TestTools_HostileArguments(t *testing.T) {
	h := startBot(t, func(c *bot.Config) { c.RateCount = 0 })
	const victim, attacker = "7003", "7004"
	h.upload(t, victim, h.fake.AddAttachment("secret.txt", "text/plain", []byte("the password is swordfish")))
	victimID := fileIDsIn(lastChat(t, h.ai))[0]
	h.ai.SetResponder(func(req openai.ChatCompletionRequest) openaitest.Reply {
		if lastIsTool(req) {
			return openaitest.Reply{Text: "results: " + strings.Join(toolResults(req), " | ")}
		}
		return openaitest.Reply{ToolCalls: []openai.ToolCall{
			call("a", "read_file", `{"file_id":"`+victimID+`"}`),
			call("b", "read_file", `{"file_id":"aaaaaaaaaaaaaaaaaaaaaaaaaa"}`),
			call("c", "read_file", `{"file_id":"../../`+victim+`/`+victimID+`.txt"}`),
			call("d", "delete_everything", `{}`),
			call("e", "read_file", `{"file_id": 12`),
			call("f", "read_file", `{"file_id":"x","extra":true}`),
		}}
	})
	r := waitFinalReply(t, h, h.dm(attacker, "read it"), "results: ")
	if strings.Contains(r, "swordfish") || strings.Contains(r, "secret.txt") {
		t.Fatalf("another user's file leaked: %q", r)
	}
	for _, want := range []string{"Error: no file with file_id \"" + victimID, "Error: no file with file_id \"aaaa",
		"Error: no file with file_id \"../../", "Error: there is no tool named \"delete_everything\"", "Error: the arguments are not valid"} {
		if !strings.Contains(r, want) {
			t.Errorf("missing %q in %q", want, r)
		}
	}
}

// TestTools_ModelWithoutToolSupport: a provider that refuses tools for a
// model still answers (the refusal is learned once).
func TestTools_ModelWithoutToolSupport(t *testing.T) {
	for _, api := range bothAPIs {
		t.Run(string(api), func(t *testing.T) {
			h := startBot(t, func(c *bot.Config) { c.API = api; c.DefaultModel = "local-llama"; c.Models = []string{"local-llama"} })
			h.ai.SetRefuse(map[string][]string{"local-llama": {"tools"}})
			waitReply(t, h.fake, h.dm("7005", "hi"), "echo: hi")
			waitReply(t, h.fake, h.dm("7005", "again"), "echo: again")
			reqs := h.ai.Requests()
			if len(reqs) != 3 || reqs[0].Status != 400 || strings.Contains(string(reqs[2].Raw), `"tools"`) {
				t.Fatalf("requests: %d, first status %d", len(reqs), reqs[0].Status)
			}
		})
	}
}

// TestTools_RoundsLimitAndTimeout: a model that keeps calling tools stops
// after MAX_TOOL_ROUNDS with a note; a tool over TOOL_TIMEOUT is stopped
// and the model told so.
func TestTools_RoundsLimitAndTimeout(t *testing.T) {
	h := startBot(t, func(c *bot.Config) {
		c.RateCount = 0
		c.MaxToolRounds = 2
		c.ImageModel = "gpt-image-2"
		c.ToolTimeout = 300 * time.Millisecond
	})
	n := 0
	var mu sync.Mutex
	h.ai.SetResponder(func(req openai.ChatCompletionRequest) openaitest.Reply {
		mu.Lock()
		defer mu.Unlock()
		n++
		return openaitest.Reply{ToolCalls: []openai.ToolCall{call(fmt.Sprint("l", n), "list_files", `{}`)}}
	})
	r := waitReplyPrefix(t, h, h.dm("7006", "loop forever"), "🔧 *I stopped using tools after 2 rounds")
	if len(h.ai.Requests()) != 3 {
		t.Errorf("%d model calls, want 3 (2 rounds of tools, then the limit)", len(h.ai.Requests()))
	}
	_ = r
	// A tool that hangs past TOOL_TIMEOUT.
	h.ai.EnqueueImage(openaitest.Reply{Delay: 2 * time.Second})
	h.ai.SetResponder(func(req openai.ChatCompletionRequest) openaitest.Reply {
		if lastIsTool(req) {
			return openaitest.Reply{Text: "tool said: " + strings.Join(toolResults(req), "")}
		}
		return openaitest.Reply{ToolCalls: []openai.ToolCall{call("img", "generate_image", `{"prompt":"a cat"}`)}}
	})
	r = waitReplyPrefix(t, h, h.dm("7006", "draw"), "tool said: Error: the tool took longer than 300ms")
	_ = r
}

// waitFinalReply waits until the bot's reply to q starts with prefix and
// has finished streaming (no cursor), and returns it.
func waitFinalReply(t *testing.T, h *harness, q *discordgo.Message, prefix string) string {
	t.Helper()
	var got string
	if !h.fake.WaitFor(20*time.Second, func() bool {
		r, _ := replyTo(h.fake, q)
		got = r.Content
		return strings.HasPrefix(got, prefix) && !strings.HasSuffix(got, "▌")
	}) {
		t.Fatalf("reply = %q, want a finished one starting %q (last Discord calls: %s)", got, prefix, lastCalls(h.fake, 5))
	}
	return got
}
