package bot

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/discordgpt/discordgpt/bot/llm"
	"github.com/discordgpt/discordgpt/store"
)

// modelRefreshInterval is how often the provider's model list is fetched.
const modelRefreshInterval = 24 * time.Hour

// modelState is what the bot knows of models at one moment: immutable,
// swapped whole when the provider's list is fetched again.
type modelState struct {
	// offered are the models users may pick, DEFAULT_MODEL first.
	offered []string
	// provider is the provider's list by ID; nil when it was never fetched.
	provider map[string]store.ProviderModel
	prices   *llm.Prices
}

// newModelState works out the offered models and prices from the
// configuration and the provider's list (nil if unknown).
func newModelState(cfg Config, list []store.ProviderModel, now time.Time) *modelState {
	st := &modelState{}
	if list != nil {
		st.provider = make(map[string]store.ProviderModel, len(list))
		for _, m := range list {
			st.provider[m.ID] = m
		}
	}
	st.prices = llm.NewPrices(llm.ProviderPrices(list), cfg.PriceFile, cfg.UnknownPrice)
	st.offered = []string{cfg.DefaultModel}
	add := func(id string) {
		if !contains(st.offered, id) {
			st.offered = append(st.offered, id)
		}
	}
	switch {
	case len(cfg.Models) > 0: // the owner's list, as given
		for _, m := range cfg.Models {
			add(m)
		}
	case llm.IsOpenAI(cfg.OpenAIBaseURL):
		for _, m := range llm.DefaultModels {
			if st.provider == nil || st.serves(m, now) {
				add(m)
			}
		}
	case st.provider != nil: // any other provider: its own chat models
		ids := make([]string, 0, len(list))
		for _, m := range list {
			if m.Chat && st.serves(m.ID, now) {
				ids = append(ids, m.ID)
			}
		}
		sort.Strings(ids)
		for _, id := range ids {
			add(id)
		}
	}
	return st
}

// serves reports whether the provider lists the model and has not shut
// it down by now.
func (st *modelState) serves(id string, now time.Time) bool {
	m, ok := st.provider[id]
	if !ok {
		return false
	}
	d, ok := llm.Shutdown(m)
	return !ok || now.Before(d)
}

// offers reports whether id is one of the models offered to users.
func (st *modelState) offers(id string) bool {
	for _, m := range st.offered {
		if m == id {
			return true
		}
	}
	return false
}

// shutdown is the model's announced shutdown date, if any.
func (st *modelState) shutdown(id string) (time.Time, bool) {
	m, ok := st.provider[id]
	if !ok {
		return time.Time{}, false
	}
	return llm.Shutdown(m)
}

// retiring reports whether the model shuts down within llm.RetireWarning.
func (st *modelState) retiring(id string, now time.Time) (time.Time, bool) {
	d, ok := st.shutdown(id)
	return d, ok && now.Before(d) && d.Sub(now) <= llm.RetireWarning
}

// replacement is the model to suggest instead of a retiring one: the
// default, or the first offered model with no shutdown in sight.
func (st *modelState) replacement(instead string, now time.Time) string {
	for _, m := range st.offered {
		if m == instead {
			continue
		}
		if d, ok := st.shutdown(m); !ok || d.Sub(now) > llm.RetireWarning {
			return m
		}
	}
	return ""
}

// warnings are what the owner should know about the models: configured
// ones the provider does not list, ones shutting down soon, unpriced ones.
func (st *modelState) warnings(cfg Config, now time.Time) []string {
	var out []string
	if st.provider != nil {
		for _, m := range st.offered {
			if _, ok := st.provider[m]; !ok {
				out = append(out, fmt.Sprintf("model %s is not in the provider's model list; requests for it may fail", m))
			}
		}
	}
	for _, m := range st.offered {
		if d, ok := st.shutdown(m); ok {
			switch {
			case !now.Before(d):
				out = append(out, fmt.Sprintf("model %s was shut down on %s; its users are moved to %s", m, d.Format(time.DateOnly), cfg.DefaultModel))
			case d.Sub(now) <= llm.RetireWarning:
				out = append(out, fmt.Sprintf("model %s shuts down on %s; its users are told to pick another", m, d.Format(time.DateOnly)))
			}
		}
	}
	if un := st.unpriced(); len(un) > 0 {
		what := "counted as free"
		if p, ok := st.prices.Unknown(); ok {
			what = fmt.Sprintf("counted at $%g/$%g per million tokens (UNKNOWN_MODEL_PRICE)", p.Input, p.Output)
		}
		out = append(out, fmt.Sprintf("no known price for %s: %s; add them to PRICING_FILE", strings.Join(un, ", "), what))
	}
	return out
}

// unpriced lists offered models without a known price.
func (st *modelState) unpriced() []string {
	var out []string
	for _, m := range st.offered {
		if _, ok := st.prices.Lookup(m); !ok {
			out = append(out, m)
		}
	}
	return out
}

// offered are the models users may pick now: the offered list less any
// whose shutdown date has passed since it was worked out.
func (b *Bot) offered() []string {
	st, now := b.models(), b.cfg.now()
	out := make([]string, 0, len(st.offered))
	for _, m := range st.offered {
		if d, ok := st.shutdown(m); !ok || now.Before(d) || m == b.cfg.DefaultModel {
			out = append(out, m)
		}
	}
	return out
}

// models is the current model state.
func (b *Bot) models() *modelState { return b.modelState.Load() }

// loadStoredModels sets the model state from the list kept in the
// database, so a restart without the provider still knows it.
func (b *Bot) loadStoredModels() {
	c, ok, err := b.db.Catalog()
	if err != nil {
		b.log.Warn("read stored model list", "err", err)
	}
	var list []store.ProviderModel
	if ok {
		list = c.Models
	}
	b.modelState.Store(newModelState(b.cfg, list, b.cfg.now()))
}

// refreshModels fetches the provider's model list, keeps it, and logs what
// the owner should know.
func (b *Bot) refreshModels(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	now := b.cfg.now()
	list, err := b.llm.FetchModels(ctx)
	if err != nil {
		b.log.Warn("could not list the provider's models; using the list from before", "err", err)
	} else {
		if err := b.db.SetCatalog(store.Catalog{Models: list, FetchedAt: now.UTC()}); err != nil {
			b.log.Warn("keep model list", "err", err)
		}
		b.modelState.Store(newModelState(b.cfg, list, now))
	}
	st := b.models()
	b.log.Info("models", "offered", len(st.offered), "provider_models", len(st.provider), "default", b.cfg.DefaultModel)
	for _, w := range st.warnings(b.cfg, now) {
		b.log.Warn(w)
	}
}

// runModelRefresh fetches the provider's model list daily (Run fetched it
// at start).
func (b *Bot) runModelRefresh(ctx context.Context) {
	runEvery(ctx, modelRefreshInterval, false, func() { b.refreshModels(ctx) })
}

// currentModel is the model that answers the user now, without side
// effects: their choice while it is offered and not shut down, else the
// default.
func (b *Bot) currentModel(userID string) string {
	s, err := b.db.Settings(userID)
	if err != nil {
		return b.cfg.DefaultModel
	}
	return b.models().choice(s.Model, b.cfg.DefaultModel, b.cfg.now())
}

// choice is the chosen model while it is offered and not shut down, else
// the default.
func (st *modelState) choice(chosen, def string, now time.Time) string {
	if chosen == "" || !contains(st.offered, chosen) {
		return def
	}
	if d, ok := st.shutdown(chosen); ok && !now.Before(d) {
		return def
	}
	return chosen
}

// userModel is the user's chosen model if it is still offered, else the
// default. It also returns a notice for the user, once: that their model
// shuts down soon, or that it was shut down and they were moved.
func (b *Bot) userModel(userID string) (model, notice string) {
	now := b.cfg.now()
	st := b.models()
	s, err := b.db.Settings(userID)
	if err != nil {
		b.log.Warn("read settings", "user_id", userID, "err", err)
		return b.cfg.DefaultModel, ""
	}
	if d, ok := st.shutdown(s.Model); ok && s.Model != "" && !now.Before(d) {
		notice = fmt.Sprintf("ℹ️ `%s` was shut down by the AI provider on %s, so you're now on `%s`. Use `/choose_model` to pick another.",
			s.Model, d.Format(time.DateOnly), b.cfg.DefaultModel)
		if err := b.db.UpdateSettings(userID, func(s *store.Settings) { s.Model, s.RetireNotice = "", "" }); err != nil {
			b.log.Warn("move user off a shut-down model", "user_id", userID, "err", err)
		}
		return b.cfg.DefaultModel, notice
	}
	model = st.choice(s.Model, b.cfg.DefaultModel, now)
	if d, ok := st.retiring(model, now); ok && s.RetireNotice != model {
		notice = fmt.Sprintf("ℹ️ `%s` will be shut down by the AI provider on %s (<t:%d:R>).", model, d.Format(time.DateOnly), d.Unix())
		if alt := st.replacement(model, now); alt != "" && model != b.cfg.DefaultModel {
			notice += fmt.Sprintf(" Pick another with `/choose_model`; `%s` is a good replacement.", alt)
		} else {
			notice += " The bot's owner will pick another."
		}
		if err := b.db.UpdateSettings(userID, func(s *store.Settings) { s.RetireNotice = model }); err != nil {
			b.log.Warn("remember retirement notice", "user_id", userID, "err", err)
		}
	}
	return model, notice
}
