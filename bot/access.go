package bot

// Wording for refused users; the first is the bot we replace's.
const (
	blacklistText  = "You have been blacklisted from using this bot. Please contact the admin if you think this is a mistake."
	notAllowedText = "🔒 This bot is only open to certain people or channels here."
)

// access decides whether a user may use the bot here: blacklisted users
// never, and when ALLOWED_* lists are set, only a listed user or a member
// with a listed role, in a listed channel. Admins always may. It returns
// the text to show a refused user, or "".
func (b *Bot) access(userID, channelID string, roles []string) string {
	if b.cfg.IsAdmin(userID) {
		return ""
	}
	if banned, err := b.db.Blacklisted(userID); err != nil || banned {
		if err != nil {
			b.log.Error("read blacklist", "user_id", userID, "err", err)
		}
		return blacklistText
	}
	if len(b.cfg.AllowedUsers) > 0 || len(b.cfg.AllowedRoles) > 0 {
		ok := contains(b.cfg.AllowedUsers, userID)
		for _, r := range roles {
			ok = ok || contains(b.cfg.AllowedRoles, r)
		}
		if !ok {
			return notAllowedText
		}
	}
	if len(b.cfg.AllowedChannels) > 0 && !contains(b.cfg.AllowedChannels, channelID) {
		return notAllowedText
	}
	return ""
}
