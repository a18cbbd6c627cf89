package loadtest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/discordgpt/discordgpt/internal/testimg"
)

// photoCeilingMiB is issue 15's bound for the photo storm.
const photoCeilingMiB = 150

// TestWholeProcess_Photos is issue 15's image figure for the whole
// process: 20 users each send a photo at the same moment (12 megapixels,
// 10.8 MB: a phone's), with the
// default MAX_CONCURRENT_ANSWERS; every one is answered, and the bot's
// peak RSS (from /usr/bin/time) stays within 150 MiB. Run with
//
//	LOADTEST=1 go test ./internal/loadtest -run TestWholeProcess_Photos -v
func TestWholeProcess_Photos(t *testing.T) {
	if os.Getenv("LOADTEST") == "" {
		t.Skip("set LOADTEST=1 to run the whole-process measurement (see the package comment)")
	}
	if _, err := os.Stat("/usr/bin/time"); err != nil {
		t.Fatal("needs /usr/bin/time (Debian: apt-get install time)")
	}
	bin := build(t, "../..", filepath.Join(t.TempDir(), "discordgpt"))
	big, err := testimg.Photo(4000, 3000, true, 93) // 10.8 MB
	if err != nil {
		t.Fatal(err)
	}
	p := launch(t, bin, "MAX_FILE_SIZE_MB=25", "OPENAI_API=chat")
	time.Sleep(500 * time.Millisecond)
	boot := rssMiB(p.pid)
	start := time.Now()
	var wg sync.WaitGroup
	for u := 0; u < 20; u++ {
		wg.Add(1)
		go func(u int) {
			defer wg.Done()
			user := fmt.Sprint(710000000000000 + u)
			q := p.fake.SendMessage(&discordgo.Message{ChannelID: "dm" + user, Author: &discordgo.User{ID: user, Username: "u" + user},
				Content: "what is this?", Attachments: []*discordgo.MessageAttachment{p.fake.AddAttachment("photo.jpg", "image/jpeg", big)}})
			if !p.fake.WaitFor(2*time.Minute, func() bool {
				for _, m := range p.fake.ChannelMessages(q.ChannelID) {
					if m.MessageReference != nil && m.MessageReference.MessageID == q.ID &&
						strings.HasPrefix(m.Content, "echo: what is this?") && !strings.HasSuffix(m.Content, "▌") {
						return true
					}
				}
				return false
			}) {
				var got []string
				for _, m := range p.fake.ChannelMessages(q.ChannelID) {
					got = append(got, m.Content)
				}
				t.Errorf("user %d not answered: %q", u, got)
			}
		}(u)
	}
	wg.Wait()
	took := time.Since(start)
	peak := p.stop(t)
	t.Logf("20 photos of %.1f MB at once: boot RSS %.1f MiB, peak RSS %.1f MiB, all answered in %v",
		float64(len(big))/(1<<20), boot, peak, took.Round(time.Millisecond))
	if peak > photoCeilingMiB {
		t.Errorf("peak RSS %.1f MiB, over %d MiB", peak, photoCeilingMiB)
	}
}
