package bot

import (
	"fmt"
	"time"

	"github.com/discordgpt/discordgpt/bot/llm"
	"github.com/discordgpt/discordgpt/store"
)

// BudgetError refuses a call because a budget is used up; its text says
// which budget and when it resets.
type BudgetError struct{ Text string }

func (e *BudgetError) Error() string { return "budget: " + e.Text }

// ledgerDay and ledgerMonth name the ledger entries for t in TIMEZONE.
func (b *Bot) ledgerDay(t time.Time) string   { return t.In(b.cfg.Timezone).Format("2006-01-02") }
func (b *Bot) ledgerMonth(t time.Time) string { return t.In(b.cfg.Timezone).Format("2006-01") }

// nextDay and nextMonth are when a daily and a monthly budget reset.
func (b *Bot) nextDay(t time.Time) time.Time {
	l := t.In(b.cfg.Timezone)
	return time.Date(l.Year(), l.Month(), l.Day()+1, 0, 0, 0, 0, b.cfg.Timezone)
}

func (b *Bot) nextMonth(t time.Time) time.Time {
	l := t.In(b.cfg.Timezone)
	return time.Date(l.Year(), l.Month()+1, 1, 0, 0, 0, 0, b.cfg.Timezone)
}

// hasBudgets reports whether any budget is set.
func (b *Bot) hasBudgets() bool {
	return b.cfg.UserDailyBudget > 0 || b.cfg.UserMonthlyBudget > 0 || b.cfg.GlobalMonthlyBudget > 0
}

// checkBudget refuses a call when the user's daily or monthly budget, or
// the bot's monthly budget, is used up. Admins are exempt from user
// budgets. It reads three ledger entries, whatever the history.
func (b *Bot) checkBudget(userID string, now time.Time) error {
	return b.checkBudgetFor(userID, now, 0)
}

// checkBudgetFor is checkBudget for a call of known price: it refuses
// when any budget has less than cost left.
func (b *Bot) checkBudgetFor(userID string, now time.Time, cost float64) error {
	if !b.hasBudgets() {
		return nil
	}
	s, err := b.db.Spending(userID, b.ledgerDay(now), b.ledgerMonth(now))
	if err != nil {
		return err
	}
	admin := b.cfg.IsAdmin(userID)
	check := func(spent, limit float64, usedUp, which string, resets time.Time) error {
		switch {
		case limit <= 0:
			return nil
		case spent >= limit:
			return &BudgetError{fmt.Sprintf(usedUp, llm.FormatCost(limit), resets.Unix())}
		case spent+cost > limit:
			return &BudgetError{fmt.Sprintf("💸 That costs about %s, and %s has only %s left. It resets <t:%d:R>.",
				llm.FormatCost(cost), which, llm.FormatCost(limit-spent), resets.Unix())}
		}
		return nil
	}
	if !admin {
		if err := check(s.UserDay, b.cfg.UserDailyBudget, "💸 You've used your daily budget of %s. It resets <t:%d:R>.",
			"your daily budget", b.nextDay(now)); err != nil {
			return err
		}
		if err := check(s.UserMonth, b.cfg.UserMonthlyBudget, "💸 You've used your monthly budget of %s. It resets <t:%d:R>.",
			"your monthly budget", b.nextMonth(now)); err != nil {
			return err
		}
	}
	return check(s.AllMonth, b.cfg.GlobalMonthlyBudget, "💸 The bot has used this month's budget of %s for everyone. It resets <t:%d:R>.",
		"this month's budget for everyone", b.nextMonth(now))
}

// spending is what the user spent today and this month.
func (b *Bot) spending(userID string, now time.Time) (store.Spending, error) {
	return b.db.Spending(userID, b.ledgerDay(now), b.ledgerMonth(now))
}
