package io.tally.payment.channel;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpRequest;
import org.springframework.http.client.ClientHttpRequestExecution;
import org.springframework.http.client.ClientHttpRequestInterceptor;
import org.springframework.http.client.ClientHttpResponse;
import org.springframework.util.StreamUtils;
import org.springframework.web.filter.OncePerRequestFilter;
import org.springframework.web.util.ContentCachingRequestWrapper;
import org.springframework.web.util.ContentCachingResponseWrapper;

import io.tally.channel.ChannelHeaders;

/**
 * The two places where exchanges with the channel are recorded: an interceptor on the client that calls the
 * channel, and a filter on the callback endpoint. Nothing else writes the exchange log.
 */
public final class ExchangeLogging {

    /** The headers kept: the simulator's signature headers, WeChat Pay's, and the content type. */
    private static final List<String> HEADERS = List.of(ChannelHeaders.MERCHANT, ChannelHeaders.TIMESTAMP,
            ChannelHeaders.NONCE, ChannelHeaders.SIGNATURE, "Wechatpay-Serial", "Wechatpay-Timestamp", "Wechatpay-Nonce",
            "Wechatpay-Signature", "Wechatpay-Signature-Type", HttpHeaders.CONTENT_TYPE);

    private ExchangeLogging() {
    }

    private static Map<String, String> headers(java.util.function.Function<String, String> value) {
        Map<String, String> kept = new LinkedHashMap<>();
        for (String name : HEADERS) {
            String v = value.apply(name);
            if (v != null) {
                kept.put(name, v);
            }
        }
        return kept;
    }

    /** Records each request to the channel with its response, or the error that ended it. */
    static final class ClientInterceptor implements ClientHttpRequestInterceptor {

        private final ExchangeLog log;

        ClientInterceptor(ExchangeLog log) {
            this.log = log;
        }

        @Override
        public ClientHttpResponse intercept(HttpRequest request, byte[] body, ClientHttpRequestExecution execution)
                throws IOException {
            Instant started = this.log.now();
            long start = System.nanoTime();
            String endpoint = request.getURI().getRawPath();
            Map<String, String> headers = headers(request.getHeaders()::getFirst);
            String requestBody = new String(body, StandardCharsets.UTF_8);
            try {
                ClientHttpResponse response = new BufferedResponse(execution.execute(request, body));
                String responseBody = StreamUtils.copyToString(response.getBody(), StandardCharsets.UTF_8);
                this.log.record(new ExchangeLog.Entry(ExchangeLog.Direction.OUTBOUND, request.getMethod().name(), endpoint,
                        headers, requestBody, response.getStatusCode().value(), responseBody,
                        (System.nanoTime() - start) / 1_000_000, null, started));
                return response;
            }
            catch (IOException | RuntimeException ex) {
                this.log.record(new ExchangeLog.Entry(ExchangeLog.Direction.OUTBOUND, request.getMethod().name(), endpoint,
                        headers, requestBody, null, null, (System.nanoTime() - start) / 1_000_000, ex.toString(), started));
                throw ex;
            }
        }
    }

    /** Records each callback with the answer given, whatever it was. */
    static final class CallbackFilter extends OncePerRequestFilter {

        private final ExchangeLog log;

        private final String path;

        CallbackFilter(ExchangeLog log, String path) {
            this.log = log;
            this.path = path;
        }

        /** The most a callback's body may hold; a larger one is refused (413), and the refusal logged. */
        static final int MAX_CALLBACK_BODY = 60 * 1024;

        /**
         * Every request the callback endpoint processes, however its path is spelled ({@code /api/payments/callback%73}
         * and {@code /api/payments/callbacks;x} reach the same handler): compared decoded and normalised.
         */
        @Override
        protected boolean shouldNotFilter(HttpServletRequest request) {
            String within = org.springframework.web.util.UrlPathHelper.defaultInstance.getPathWithinApplication(request);
            return !this.path.equals(within) && !within.startsWith(this.path + "/");
        }

        @Override
        protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
                throws ServletException, IOException {
            Instant started = this.log.now();
            long start = System.nanoTime();
            ContentCachingRequestWrapper cachedRequest = new ContentCachingRequestWrapper(request, MAX_CALLBACK_BODY) {
                @Override
                protected void handleContentOverflow(int contentCacheLimit) {
                    throw new CallbackTooLarge();
                }
            };
            ContentCachingResponseWrapper cachedResponse = new ContentCachingResponseWrapper(response);
            String error = null;
            boolean answered = false;
            try {
                try {
                    if (request.getContentLengthLong() > MAX_CALLBACK_BODY) {
                        throw new CallbackTooLarge();
                    }
                    chain.doFilter(cachedRequest, cachedResponse);
                }
                catch (ServletException ex) {
                    if (!(ex.getCause() instanceof CallbackTooLarge)) {
                        throw ex;
                    }
                    throw new CallbackTooLarge();
                }
            }
            catch (CallbackTooLarge ex) {
                cachedResponse.resetBuffer();
                cachedResponse.setStatus(HttpServletResponse.SC_REQUEST_ENTITY_TOO_LARGE);
                cachedResponse.setContentType("text/plain");
                cachedResponse.getWriter().write("refused: a callback holds at most " + MAX_CALLBACK_BODY + " bytes");
                error = "refused: body over " + MAX_CALLBACK_BODY + " bytes";
                answered = true;
            }
            catch (IOException | ServletException | RuntimeException ex) {
                error = ex.toString();
                throw ex;
            }
            finally {
                Map<String, String> headers = headers(request::getHeader);
                headers.put("Remote-Addr", request.getRemoteAddr());
                this.log.record(new ExchangeLog.Entry(ExchangeLog.Direction.INBOUND, request.getMethod(),
                        request.getRequestURI(), headers,
                        new String(cachedRequest.getContentAsByteArray(), StandardCharsets.UTF_8),
                        error == null || answered ? cachedResponse.getStatus() : 500,
                        new String(cachedResponse.getContentAsByteArray(), StandardCharsets.UTF_8),
                        (System.nanoTime() - start) / 1_000_000, error, started,
                        cachedRequest.getAttribute(ExchangeLog.TRADE_ATTRIBUTE) instanceof String trade ? trade : null,
                        null));
                cachedResponse.copyBodyToResponse();
            }
        }
    }

    /** A callback body over {@link CallbackFilter#MAX_CALLBACK_BODY}. */
    static final class CallbackTooLarge extends RuntimeException {

        CallbackTooLarge() {
            super("callback body too large", null, false, false);
        }
    }

    /** A response whose body can be read by the log and again by the caller. */
    private static final class BufferedResponse implements ClientHttpResponse {

        private final ClientHttpResponse response;

        private final byte[] body;

        BufferedResponse(ClientHttpResponse response) throws IOException {
            this.response = response;
            this.body = StreamUtils.copyToByteArray(response.getBody());
        }

        @Override
        public org.springframework.http.HttpStatusCode getStatusCode() throws IOException {
            return this.response.getStatusCode();
        }

        @Override
        public String getStatusText() throws IOException {
            return this.response.getStatusText();
        }

        @Override
        public HttpHeaders getHeaders() {
            return this.response.getHeaders();
        }

        @Override
        public java.io.InputStream getBody() {
            return new java.io.ByteArrayInputStream(this.body);
        }

        @Override
        public void close() {
            this.response.close();
        }
    }
}
