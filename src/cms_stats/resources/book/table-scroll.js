// A chapter table wider than its region scrolls sideways inside it (book.css), but a desktop's
// scroll bar is at the foot of a long table, out of sight: say so under the caption, for the
// tables that do not fit at the window's width (again when the window is resized).
(() => {
  const HINT = "Scroll sideways to see every column.";
  function mark() {
    if (document.documentElement.dataset.printing) return;  // the PDF (print.js): no words
    for (const region of document.querySelectorAll(".cms-table")) {
      const caption = region.querySelector("caption .cms-caption");
      if (!caption) continue;
      let hint = caption.querySelector(".cms-scroll-hint");
      const scrolls = region.scrollWidth > region.clientWidth + 1;
      if (scrolls && !hint) {
        hint = document.createElement("span");
        hint.className = "cms-scroll-hint";
        hint.textContent = HINT;
        caption.append(hint);  // a block of its own (book.css): no space needed before it
      } else if (!scrolls && hint) {
        hint.remove();
      }
    }
  }
  let pending = null;
  window.addEventListener("resize", () => {
    clearTimeout(pending);
    pending = setTimeout(mark, 150);
  });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", mark);
  else mark();
  window.addEventListener("load", mark);  // widths again once fonts and pictures are in
})();
