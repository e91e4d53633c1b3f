//! Minimal server-rendered pages for the account and install flow, so it works end to end
//! without JavaScript. Deliberately plain: the Leptos UI replaces them (keep them in this file).

use axum::response::Html;

/// Escapes text for HTML element content and double-quoted attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn layout(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · ShopCall.ai</title><link rel=\"stylesheet\" href=\"/pkg/shopcall.css\"></head>\
         <body class=\"p-8 max-w-xl mx-auto font-sans\"><main>{body}</main></body></html>",
        title = escape(title),
    ))
}

/// A short page for refusals and errors.
pub fn message(title: &str, message: &str) -> Html<String> {
    layout(
        title,
        &format!(
            "<h1>{}</h1><p id=\"reason\">{}</p><p><a href=\"/\">ShopCall.ai</a></p>",
            escape(title),
            escape(message)
        ),
    )
}

/// Which account form to show.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum AuthForm {
    SignIn,
    SignUp,
}

/// The sign-in or sign-up form. `connecting` names the shop an install is waiting for.
pub fn auth_form(
    form: AuthForm,
    next: &str,
    error: Option<&str>,
    connecting: Option<&str>,
) -> Html<String> {
    let (title, action, button, other) = match form {
        AuthForm::SignIn => (
            "Sign in",
            "/auth/signin",
            "Sign in",
            ("/auth/signup", "Create an account"),
        ),
        AuthForm::SignUp => (
            "Create an account",
            "/auth/signup",
            "Create account",
            ("/auth/signin", "I have an account"),
        ),
    };
    let error = error
        .map(|e| format!("<p id=\"error\" role=\"alert\">{}</p>", escape(e)))
        .unwrap_or_default();
    let connecting = connecting
        .map(|shop| format!("<p id=\"connecting\">Sign in to connect the shop <strong>{}</strong> to ShopCall.ai.</p>", escape(shop)))
        .unwrap_or_default();
    let next_q = url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>();
    layout(
        title,
        &format!(
            "<h1>{title}</h1>{connecting}{error}\
             <form method=\"post\" action=\"{action}\">\
             <input type=\"hidden\" name=\"next\" value=\"{next}\">\
             <label>E-mail <input type=\"email\" name=\"email\" required autocomplete=\"email\"></label>\
             <label>Password <input type=\"password\" name=\"password\" required minlength=\"8\"></label>\
             <button type=\"submit\">{button}</button></form>\
             <p><a href=\"{other_href}?next={next_q}\">{other_text}</a></p>",
            next = escape(next),
            other_href = other.0,
            other_text = other.1,
        ),
    )
}
