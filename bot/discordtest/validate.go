package discordtest

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"
)

// Limits Discord enforces on what a bot sends.
const (
	MaxContent       = 2000
	MaxEmbeds        = 10
	MaxEmbedTitle    = 256
	MaxEmbedDesc     = 4096
	MaxEmbedFields   = 25
	MaxFieldName     = 256
	MaxFieldValue    = 1024
	MaxFooterText    = 2048
	MaxEmbedTotal    = 6000
	MaxActionRows    = 5
	MaxButtonsPerRow = 5
	MaxSelectOptions = 25
	MaxOptionText    = 100
	MaxCustomID      = 100
	MaxButtonLabel   = 80
	MaxChoices       = 25
	MaxCommands      = 100
	MaxCommandOpts   = 25
	MaxCommandDesc   = 100
)

// component is the wire shape of a message component, enough to validate.
type component struct {
	Type        int             `json:"type"`
	CustomID    string          `json:"custom_id,omitempty"`
	Label       string          `json:"label,omitempty"`
	Style       int             `json:"style,omitempty"`
	URL         string          `json:"url,omitempty"`
	Disabled    bool            `json:"disabled,omitempty"`
	Emoji       json.RawMessage `json:"emoji,omitempty"`
	Placeholder string          `json:"placeholder,omitempty"`
	MinValues   *int            `json:"min_values,omitempty"`
	MaxValues   int             `json:"max_values,omitempty"`
	Options     []selectOpt     `json:"options,omitempty"`
	Components  []component     `json:"components,omitempty"`
}

type selectOpt struct {
	Label       string          `json:"label"`
	Value       string          `json:"value"`
	Description string          `json:"description,omitempty"`
	Default     bool            `json:"default,omitempty"`
	Emoji       json.RawMessage `json:"emoji,omitempty"`
}

// messagePayload is what a bot sends to create or edit a message; pointer
// fields tell "absent" from "set to empty".
type messagePayload struct {
	Content          *string                     `json:"content"`
	Embeds           *[]*discordgo.MessageEmbed  `json:"embeds"`
	Components       *[]component                `json:"components"`
	Flags            discordgo.MessageFlags      `json:"flags"`
	MessageReference *discordgo.MessageReference `json:"message_reference"`
	Attachments      *[]struct {
		ID string `json:"id"`
	} `json:"attachments"`
	// Nonce with EnforceNonce: a repeat within a few minutes returns the
	// message already made instead of a new one.
	Nonce        string `json:"nonce"`
	EnforceNonce bool   `json:"enforce_nonce"`
	// flagsSet tells an edit that sets flags (to 0, maybe) from one that
	// leaves them as they are.
	flagsSet bool
}

// UnmarshalJSON notes whether the payload named its flags.
func (p *messagePayload) UnmarshalJSON(b []byte) error {
	type plain messagePayload
	if err := json.Unmarshal(b, (*plain)(p)); err != nil {
		return err
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(b, &keys); err != nil {
		return err
	}
	_, p.flagsSet = keys["flags"]
	return nil
}

// editableFlags are the flags an edit may set or unset on a message
// (Discord: only SUPPRESS_EMBEDS).
const editableFlags = discordgo.MessageFlagsSuppressEmbeds

func runes(s string) int { return utf8.RuneCountInString(s) }

// validateMessage checks a message as it will stand after a create or edit.
func validateMessage(content string, embeds []*discordgo.MessageEmbed, comps []component, nFiles int) error {
	if n := runes(content); n > MaxContent {
		return fmt.Errorf("content: Must be %d or fewer in length (got %d)", MaxContent, n)
	}
	if err := validateEmbeds(embeds); err != nil {
		return err
	}
	if err := validateComponents(comps); err != nil {
		return err
	}
	if strings.TrimSpace(content) == "" && len(embeds) == 0 && len(comps) == 0 && nFiles == 0 {
		return errEmpty
	}
	return nil
}

// errEmpty is Discord's 50006.
var errEmpty = fmt.Errorf("Cannot send an empty message")

func validateEmbeds(embeds []*discordgo.MessageEmbed) error {
	if len(embeds) > MaxEmbeds {
		return fmt.Errorf("embeds: Must be %d or fewer in length", MaxEmbeds)
	}
	total := 0
	for i, e := range embeds {
		if e == nil {
			return fmt.Errorf("embeds.%d: null", i)
		}
		checks := []struct {
			what string
			text string
			max  int
		}{{"title", e.Title, MaxEmbedTitle}, {"description", e.Description, MaxEmbedDesc}}
		if e.Footer != nil {
			checks = append(checks, struct {
				what string
				text string
				max  int
			}{"footer.text", e.Footer.Text, MaxFooterText})
		}
		if e.Author != nil {
			checks = append(checks, struct {
				what string
				text string
				max  int
			}{"author.name", e.Author.Name, MaxFieldName})
		}
		for _, c := range checks {
			if runes(c.text) > c.max {
				return fmt.Errorf("embeds.%d.%s: Must be %d or fewer in length", i, c.what, c.max)
			}
			total += runes(c.text)
		}
		if len(e.Fields) > MaxEmbedFields {
			return fmt.Errorf("embeds.%d.fields: Must be %d or fewer in length", i, MaxEmbedFields)
		}
		for j, f := range e.Fields {
			if f.Name == "" || runes(f.Name) > MaxFieldName {
				return fmt.Errorf("embeds.%d.fields.%d.name: Must be between 1 and %d in length", i, j, MaxFieldName)
			}
			if f.Value == "" || runes(f.Value) > MaxFieldValue {
				return fmt.Errorf("embeds.%d.fields.%d.value: Must be between 1 and %d in length", i, j, MaxFieldValue)
			}
			total += runes(f.Name) + runes(f.Value)
		}
	}
	if total > MaxEmbedTotal {
		return fmt.Errorf("embeds: Embed size exceeds maximum size of %d", MaxEmbedTotal)
	}
	return nil
}

func validateComponents(rows []component) error {
	if len(rows) > MaxActionRows {
		return fmt.Errorf("components: Must be %d or fewer in length", MaxActionRows)
	}
	ids := map[string]bool{}
	checkID := func(where, id string) error {
		if n := runes(id); n < 1 || n > MaxCustomID {
			return fmt.Errorf("%s.custom_id: Must be between 1 and %d in length", where, MaxCustomID)
		}
		if ids[id] {
			return fmt.Errorf("%s.custom_id: Component custom id cannot be duplicated", where)
		}
		ids[id] = true
		return nil
	}
	for i, row := range rows {
		where := fmt.Sprintf("components.%d", i)
		if row.Type != int(discordgo.ActionsRowComponent) {
			return fmt.Errorf("%s: top-level components must be action rows", where)
		}
		if len(row.Components) == 0 {
			return fmt.Errorf("%s.components: Must be between 1 and 5 in length", where)
		}
		buttons, selects := 0, 0
		for j, c := range row.Components {
			w := fmt.Sprintf("%s.components.%d", where, j)
			switch discordgo.ComponentType(c.Type) {
			case discordgo.ButtonComponent:
				buttons++
				if runes(c.Label) > MaxButtonLabel {
					return fmt.Errorf("%s.label: Must be %d or fewer in length", w, MaxButtonLabel)
				}
				if discordgo.ButtonStyle(c.Style) == discordgo.LinkButton {
					if c.URL == "" {
						return fmt.Errorf("%s.url: link buttons need a url", w)
					}
				} else if err := checkID(w, c.CustomID); err != nil {
					return err
				}
			case discordgo.SelectMenuComponent, discordgo.UserSelectMenuComponent, discordgo.RoleSelectMenuComponent,
				discordgo.MentionableSelectMenuComponent, discordgo.ChannelSelectMenuComponent:
				selects++
				if err := checkID(w, c.CustomID); err != nil {
					return err
				}
				if runes(c.Placeholder) > 150 {
					return fmt.Errorf("%s.placeholder: Must be 150 or fewer in length", w)
				}
				if discordgo.ComponentType(c.Type) == discordgo.SelectMenuComponent {
					if len(c.Options) < 1 || len(c.Options) > MaxSelectOptions {
						return fmt.Errorf("%s.options: Must be between 1 and %d in length", w, MaxSelectOptions)
					}
					seen := map[string]bool{}
					for k, o := range c.Options {
						if n := runes(o.Label); n < 1 || n > MaxOptionText {
							return fmt.Errorf("%s.options.%d.label: Must be between 1 and %d in length", w, k, MaxOptionText)
						}
						if n := runes(o.Value); n < 1 || n > MaxOptionText {
							return fmt.Errorf("%s.options.%d.value: Must be between 1 and %d in length", w, k, MaxOptionText)
						}
						if runes(o.Description) > MaxOptionText {
							return fmt.Errorf("%s.options.%d.description: Must be %d or fewer in length", w, k, MaxOptionText)
						}
						if seen[o.Value] {
							return fmt.Errorf("%s.options.%d.value: duplicate value", w, k)
						}
						seen[o.Value] = true
					}
				}
			default:
				return fmt.Errorf("%s.type: component type %d not allowed in an action row", w, c.Type)
			}
		}
		if buttons > MaxButtonsPerRow || selects > 1 || (selects == 1 && buttons > 0) {
			return fmt.Errorf("%s: a row holds up to %d buttons or one select menu", where, MaxButtonsPerRow)
		}
	}
	return nil
}

var commandName = regexp.MustCompile(`^[-_\p{Ll}\p{N}]{1,32}$`)

// Discord's application command rules: at most 100 chat input commands,
// 5 user and 5 message commands; chat input names are lowercase, user and
// message command names any 1 to 32 characters (spaces and capitals too)
// with no description or options; names are unique per type; integration
// types are 0 (guild install) or 1 (user install), contexts 0 (guild), 1
// (bot DM) or 2 (private channel).
func validateCommands(cmds []*discordgo.ApplicationCommand) error {
	counts := map[discordgo.ApplicationCommandType]int{}
	names := map[string]bool{}
	for i, c := range cmds {
		t := c.Type
		if t == 0 {
			t = discordgo.ChatApplicationCommand
		}
		counts[t]++
		switch t {
		case discordgo.ChatApplicationCommand:
			if !commandName.MatchString(c.Name) {
				return fmt.Errorf("%d.name: %q must be 1-32 lowercase letters, digits, - or _", i, c.Name)
			}
		case discordgo.UserApplicationCommand, discordgo.MessageApplicationCommand:
			if n := runes(c.Name); n < 1 || n > 32 {
				return fmt.Errorf("%d.name: Must be between 1 and 32 in length", i)
			}
			if c.Description != "" || len(c.Options) > 0 {
				return fmt.Errorf("%d: user and message commands take no description or options", i)
			}
		default:
			return fmt.Errorf("%d.type: %d is not a command type", i, c.Type)
		}
		key := fmt.Sprint(t, "/", c.Name)
		if names[key] {
			return fmt.Errorf("%d.name: duplicate command %q", i, c.Name)
		}
		names[key] = true
		if c.IntegrationTypes != nil {
			for _, it := range *c.IntegrationTypes {
				if it > discordgo.ApplicationIntegrationUserInstall {
					return fmt.Errorf("%d.integration_types: %d is not one", i, it)
				}
			}
		}
		if c.Contexts != nil {
			for _, ct := range *c.Contexts {
				if ct > discordgo.InteractionContextPrivateChannel {
					return fmt.Errorf("%d.contexts: %d is not one", i, ct)
				}
			}
		}
		if t == discordgo.ChatApplicationCommand {
			if err := validateOptions(fmt.Sprint(i), c.Description, c.Options, t); err != nil {
				return err
			}
		}
	}
	if counts[discordgo.ChatApplicationCommand] > MaxCommands || counts[discordgo.UserApplicationCommand] > 5 || counts[discordgo.MessageApplicationCommand] > 5 {
		return fmt.Errorf("at most %d chat input, 5 user and 5 message commands", MaxCommands)
	}
	return nil
}

func validateOptions(where, desc string, opts []*discordgo.ApplicationCommandOption, t discordgo.ApplicationCommandType) error {
	if t == 0 || t == discordgo.ChatApplicationCommand {
		if n := runes(desc); n < 1 || n > MaxCommandDesc {
			return fmt.Errorf("%s.description: Must be between 1 and %d in length", where, MaxCommandDesc)
		}
	}
	if len(opts) > MaxCommandOpts {
		return fmt.Errorf("%s.options: Must be %d or fewer in length", where, MaxCommandOpts)
	}
	for j, o := range opts {
		w := fmt.Sprintf("%s.options.%d", where, j)
		if !commandName.MatchString(o.Name) {
			return fmt.Errorf("%s.name: %q is not a valid option name", w, o.Name)
		}
		if len(o.Choices) > MaxChoices {
			return fmt.Errorf("%s.choices: Must be %d or fewer in length", w, MaxChoices)
		}
		if len(o.Choices) > 0 && o.Autocomplete {
			return fmt.Errorf("%s: autocomplete and choices are exclusive", w)
		}
		if err := validateOptions(w, o.Description, o.Options, discordgo.ChatApplicationCommand); err != nil {
			return err
		}
	}
	return nil
}
