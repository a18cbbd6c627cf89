// Package files keeps users' files on disk under DATA_DIR/files/<user_id>/,
// named by file ID, never by the name the user gave them.
package files
