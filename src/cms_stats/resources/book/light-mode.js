// The book and its charts are drawn for the light mode (the colour-mode switch is removed). The
// theme keeps the reader's mode under the keys "mode" and "theme" of the site's origin, which
// other books and sites on that origin share: a "dark" left there by one of them turned this
// book dark, its synthetic-data banner dark text on dark. Run after the theme's first script,
// before the page is drawn; the theme then sets (and stores) the light mode it finds here.
document.documentElement.dataset.mode = "light";
document.documentElement.dataset.theme = "light";
