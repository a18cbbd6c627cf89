package bot

import (
	"testing"
	"time"
)

func TestChannelBudget_FinalsFirst(t *testing.T) {
	var c channelBudget
	now := time.Now()
	for i := 0; i < intermediateWrites; i++ {
		if !c.allowIntermediate("a", now) {
			t.Fatalf("streaming write %d refused", i)
		}
	}
	if c.allowIntermediate("a", now) {
		t.Error("streaming writes took more than their share")
	}
	if !c.allowIntermediate("b", now) {
		t.Error("another channel is limited too")
	}
	if !c.allowIntermediate("a", now.Add(channelWindow)) {
		t.Error("the window did not roll")
	}
	done := c.beginFinal("c")
	if c.allowIntermediate("c", now) {
		t.Error("a streaming edit went while a final text waited")
	}
	done()
	if !c.allowIntermediate("c", now.Add(channelWindow)) {
		t.Error("streaming stayed blocked after the final")
	}
}
