package io.tally.console;

import java.util.Map;

import jakarta.servlet.http.HttpServletRequest;
import org.springframework.http.MediaType;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.security.web.csrf.CsrfToken;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.util.HtmlUtils;

/**
 * The sign-in page (with the session's CSRF token in its form) and what the pages read first: who is signed in,
 * the CSRF token to send with every change, and the services.
 */
@RestController
class ConsolePages {

    private final ConsoleProperties properties;

    ConsolePages(ConsoleProperties properties) {
        this.properties = properties;
    }

    @GetMapping(path = "/login", produces = MediaType.TEXT_HTML_VALUE)
    String login(HttpServletRequest request, CsrfToken csrf) {
        String message = request.getParameter("error") != null
                ? "<p class=\"error\" id=\"login-error\">Those are not the operator's credentials (or the services "
                        + "could not check them).</p>"
                : request.getParameter("signed-out") != null ? "<p class=\"note\">Signed out.</p>" : "";
        return """
                <!doctype html>
                <html lang="en"><head><meta charset="utf-8"><title>tally console: sign in</title>
                <link rel="stylesheet" href="/console.css"></head>
                <body class="login"><main>
                <h1>tally operator console</h1>
                %s
                <form method="post" action="/login">
                <label>Operator <input name="username" id="username" autocomplete="username" required maxlength="100"></label>
                <label>Password <input name="password" id="password" type="password" autocomplete="current-password" required maxlength="200"></label>
                <input type="hidden" name="%s" value="%s">
                <button type="submit" id="sign-in">Sign in</button>
                </form>
                <p class="note">The services' operator account (OPERATOR_USER, OPERATOR_PASSWORD).</p>
                </main></body></html>
                """.formatted(message, HtmlUtils.htmlEscape(csrf.getParameterName()), HtmlUtils.htmlEscape(csrf.getToken()));
    }

    @GetMapping("/console/session")
    Map<String, Object> session(@AuthenticationPrincipal Operator operator, CsrfToken csrf) {
        return Map.of("operator", operator.name(), "csrf", Map.of("header", csrf.getHeaderName(), "token", csrf.getToken()),
                "services", this.properties.services().keySet());
    }
}
