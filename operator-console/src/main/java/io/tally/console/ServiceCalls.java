package io.tally.console;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

import jakarta.servlet.http.HttpServletRequest;
import org.jspecify.annotations.Nullable;

import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.client.RestClient;
import org.springframework.web.client.RestClientException;

/**
 * The services' APIs, called for the signed-in operator: {@code /console/api/{service}/...} is the service's
 * {@code /api/admin/...} (read and act), {@code /console/read/{service}/...} its public {@code /api/...} (read only).
 * Only the configured services, only those two roots, no path that climbs out of them; the operator's credentials
 * stay on the server. A service's answer is passed on as it is, problem details included.
 */
@RestController
class ServiceCalls {

    /** A path below the root: segments of URL-safe characters, none of them {@code .} or {@code ..}. */
    static final Pattern PATH = Pattern.compile("(?!.*(^|/)\\.{1,2}(/|$))[A-Za-z0-9._~%@:+,=-]+(/[A-Za-z0-9._~%@:+,=-]+)*");

    private static final int MAX_BODY = 64 * 1024;

    private final ConsoleProperties properties;

    private final RestClient client;

    ServiceCalls(ConsoleProperties properties, RestClient.Builder clients) {
        this.properties = properties;
        this.client = clients.clone().build();
    }

    @GetMapping("/console/api/{service}/**")
    ResponseEntity<byte[]> read(@PathVariable String service, HttpServletRequest request,
            @AuthenticationPrincipal Operator operator) {
        return call(HttpMethod.GET, service, "/api/admin/", request, null, operator);
    }

    @PostMapping("/console/api/{service}/**")
    ResponseEntity<byte[]> act(@PathVariable String service, HttpServletRequest request,
            @RequestBody(required = false) byte @Nullable [] body, @AuthenticationPrincipal Operator operator) {
        return call(HttpMethod.POST, service, "/api/admin/", request, body, operator);
    }

    @GetMapping("/console/read/{service}/**")
    ResponseEntity<byte[]> readPublic(@PathVariable String service, HttpServletRequest request,
            @AuthenticationPrincipal Operator operator) {
        return call(HttpMethod.GET, service, "/api/", request, null, operator);
    }

    private ResponseEntity<byte[]> call(HttpMethod method, String service, String root, HttpServletRequest request,
            byte @Nullable [] body, Operator operator) {
        URI base = this.properties.services().get(service);
        if (base == null) {
            return problem(HttpStatus.NOT_FOUND, "No service '" + service + "' in console.services");
        }
        String prefix = request.getContextPath() + (root.equals("/api/admin/") ? "/console/api/" : "/console/read/")
                + service + "/";
        String uri = request.getRequestURI();
        String rest = uri.startsWith(prefix) ? uri.substring(prefix.length()) : "";
        if (!PATH.matcher(rest).matches()) {
            return problem(HttpStatus.BAD_REQUEST, "Not a path below " + root + ": '" + rest + "'");
        }
        if (body != null && body.length > MAX_BODY) {
            return problem(HttpStatus.CONTENT_TOO_LARGE, "A body of at most " + MAX_BODY + " bytes");
        }
        String query = request.getQueryString();
        URI target = URI.create(base.toString().replaceAll("/+$", "") + root + rest + (query != null ? "?" + query : ""));
        try {
            RestClient.RequestBodySpec spec = this.client.method(method).uri(target)
                .header("Authorization", operator.authorization())
                .accept(MediaType.APPLICATION_JSON, MediaType.APPLICATION_PROBLEM_JSON);
            if (body != null && body.length > 0) {
                spec.contentType(MediaType.APPLICATION_JSON).body(body);
            }
            return spec.exchange((req, response) -> {
                byte[] answer = response.getBody().readAllBytes();
                MediaType type = response.getHeaders().getContentType();
                return ResponseEntity.status(response.getStatusCode())
                    .contentType(type != null ? type : MediaType.APPLICATION_JSON)
                    .body(answer);
            });
        }
        catch (RestClientException ex) {
            return problem(HttpStatus.BAD_GATEWAY, service + " could not be reached: " + ex.getMessage());
        }
    }

    private static ResponseEntity<byte[]> problem(HttpStatus status, String detail) {
        String json = "{\"status\":" + status.value() + ",\"title\":\"" + status.getReasonPhrase() + "\",\"detail\":\""
                + detail.replace("\\", "\\\\").replace("\"", "\\\"") + "\"}";
        return ResponseEntity.status(status).contentType(MediaType.APPLICATION_PROBLEM_JSON)
            .body(json.getBytes(StandardCharsets.UTF_8));
    }
}
