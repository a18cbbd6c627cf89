//go:build race

package bot_test

func init() { raceEnabled = true }
