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
	if !b.hasBudgets() {
		return nil
	}
	s, err := b.db.Spending(userID, b.ledgerDay(now), b.ledgerMonth(now))
	if err != nil {
		return err
	}
	admin := b.cfg.IsAdmin(userID)
	switch {
	case !admin && b.cfg.UserDailyBudget > 0 && s.UserDay >= b.cfg.UserDailyBudget:
		return &BudgetError{fmt.Sprintf("💸 You've used your daily budget of %s. It resets <t:%d:R>.",
			llm.FormatCost(b.cfg.UserDailyBudget), b.nextDay(now).Unix())}
	case !admin && b.cfg.UserMonthlyBudget > 0 && s.UserMonth >= b.cfg.UserMonthlyBudget:
		return &BudgetError{fmt.Sprintf("💸 You've used your monthly budget of %s. It resets <t:%d:R>.",
			llm.FormatCost(b.cfg.UserMonthlyBudget), b.nextMonth(now).Unix())}
	case b.cfg.GlobalMonthlyBudget > 0 && s.AllMonth >= b.cfg.GlobalMonthlyBudget:
		return &BudgetError{fmt.Sprintf("💸 The bot has used this month's budget of %s for everyone. It resets <t:%d:R>.",
			llm.FormatCost(b.cfg.GlobalMonthlyBudget), b.nextMonth(now).Unix())}
	}
	return nil
}

// spending is what the user spent today and this month.
func (b *Bot) spending(userID string, now time.Time) (store.Spending, error) {
	return b.db.Spending(userID, b.ledgerDay(now), b.ledgerMonth(now))
}
