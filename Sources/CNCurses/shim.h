#ifndef CNCURSES_SHIM_H
#define CNCURSES_SHIM_H

/* SwiftPM drops the -D flags pkg-config gives for ncursesw, so the wide-character API
   is switched on here, before the header is read. */
#define _XOPEN_SOURCE_EXTENDED 1
#define NCURSES_WIDECHAR 1

#include <locale.h>
#include <ncursesw/curses.h>

/* Swift 6 cannot import ncurses' mutable globals and function-like macros; these
   prefixed getters are the only way Swift reaches them. */
static inline WINDOW *cncurses_stdscr(void) { return stdscr; }
static inline WINDOW *cncurses_curscr(void) { return curscr; }
static inline int cncurses_lines(void) { return LINES; }
static inline int cncurses_cols(void) { return COLS; }
static inline int cncurses_colors(void) { return COLORS; }
static inline int cncurses_color_pairs(void) { return COLOR_PAIRS; }
static inline int cncurses_color_pair(int n) { return COLOR_PAIR(n); }
static inline int cncurses_a_normal(void) { return A_NORMAL; }
static inline int cncurses_a_bold(void) { return A_BOLD; }
static inline int cncurses_a_reverse(void) { return A_REVERSE; }
static inline int cncurses_a_underline(void) { return A_UNDERLINE; }
static inline int cncurses_a_dim(void) { return A_DIM; }
static inline int cncurses_getmaxy(WINDOW *w) { return getmaxy(w); }
static inline int cncurses_getmaxx(WINDOW *w) { return getmaxx(w); }
static inline int cncurses_key_resize(void) { return KEY_RESIZE; }
static inline int cncurses_err(void) { return ERR; }
static inline int cncurses_set_locale(void) { return setlocale(LC_ALL, "") != NULL; }
static inline int cncurses_key_code_yes(void) { return KEY_CODE_YES; }
static inline int cncurses_ok(void) { return OK; }
/* wattr_set is a macro; passing the pair through opts lets pairs above 255 work. */
static inline int cncurses_wattr_set(WINDOW *w, attr_t attrs, int pair) {
    return wattr_set(w, attrs, (NCURSES_PAIRS_T)pair, &pair);
}
/* stdin/stdout are mutable globals that Swift 6 refuses to read. */
static inline FILE *cncurses_stdin(void) { return stdin; }
static inline FILE *cncurses_stdout(void) { return stdout; }

#endif
