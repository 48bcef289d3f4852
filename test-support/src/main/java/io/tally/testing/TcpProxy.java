package io.tally.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP proxy on loopback in front of a server (the broker, the database), which a test can cut: while it is
 * down, every open connection is closed and new ones are closed as soon as they are accepted, as a client sees
 * a server, or the network to it, go away. It works the same with the local services and with Testcontainers.
 */
public final class TcpProxy implements AutoCloseable {

    private final String targetHost;

    private final int targetPort;

    private final ServerSocket server;

    private final Set<Socket> open = ConcurrentHashMap.newKeySet();

    private volatile boolean down;

    private volatile boolean closed;

    private TcpProxy(String targetHost, int targetPort) throws IOException {
        this.targetHost = targetHost;
        this.targetPort = targetPort;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofPlatform().daemon().name("tcp-proxy-" + this.server.getLocalPort()).start(this::accept);
    }

    /** A proxy on a free loopback port to the host and port. */
    public static TcpProxy to(String host, int port) {
        try {
            return new TcpProxy(host, port);
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    /** The port clients connect to. */
    public int port() {
        return this.server.getLocalPort();
    }

    /** Cuts every connection and refuses new ones until {@link #up()}. */
    public void down() {
        this.down = true;
        for (Socket socket : this.open) {
            closeQuietly(socket);
        }
        this.open.clear();
    }

    /** Lets connections through again. */
    public void up() {
        this.down = false;
    }

    public boolean isDown() {
        return this.down;
    }

    private void accept() {
        while (!this.closed) {
            Socket client;
            try {
                client = this.server.accept();
            }
            catch (IOException ex) {
                return; // closed
            }
            if (this.down) {
                closeQuietly(client);
                continue;
            }
            try {
                Socket target = new Socket(this.targetHost, this.targetPort);
                this.open.add(client);
                this.open.add(target);
                pipe(client, target);
                pipe(target, client);
            }
            catch (IOException ex) {
                closeQuietly(client);
            }
        }
    }

    private void pipe(Socket from, Socket to) {
        Thread.ofPlatform().daemon().start(() -> {
            byte[] buffer = new byte[16 * 1024];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    out.write(buffer, 0, n);
                    out.flush();
                }
            }
            catch (IOException ex) {
                // one side closed: close both below
            }
            finally {
                closeQuietly(from);
                closeQuietly(to);
                this.open.remove(from);
                this.open.remove(to);
            }
        });
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        }
        catch (IOException ex) {
            // closing anyway
        }
    }

    @Override
    public void close() {
        this.closed = true;
        down();
        try {
            this.server.close();
        }
        catch (IOException ex) {
            // closing anyway
        }
    }
}
