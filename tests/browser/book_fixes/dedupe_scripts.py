"""Drop repeated <script> entries (Sphinx 7.4 + jupyter-book 1.0 register some extensions' inline
scripts twice: a second `const THEBE_JS_URL` is an uncaught SyntaxError in every page)."""

def _dedupe(app, pagename, templatename, context, doctree):
    files = context.get("script_files")
    if not isinstance(files, list):
        return None
    seen, unique = set(), []
    for js in files:
        attrs = getattr(js, "attributes", {}) or {}
        key = (getattr(js, "filename", str(js)) or None, tuple(sorted(attrs.items())))
        if key not in seen:
            seen.add(key)
            unique.append(js)
    files[:] = unique  # in place: the builder and later handlers share this list
    return None

def setup(app):
    # Early (low number): html-page-context stops at the first handler that returns a template.
    app.connect("html-page-context", _dedupe, priority=100)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
