package io.tally.channel;

import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;

/** RSA keys in PEM text: PKCS#8 private keys ({@code PRIVATE KEY}) and X.509 public keys ({@code PUBLIC KEY}). */
public final class PemKeys {

    private PemKeys() {
    }

    /**
     * Reads a PKCS#8 RSA private key.
     * @throws IllegalArgumentException when the text is not one
     */
    public static PrivateKey privateKey(String pem) {
        try {
            return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(decode(pem, "PRIVATE KEY")));
        }
        catch (GeneralSecurityException ex) {
            throw new IllegalArgumentException("Not a PKCS#8 RSA private key: " + ex.getMessage(), ex);
        }
    }

    /**
     * Reads an X.509 RSA public key.
     * @throws IllegalArgumentException when the text is not one
     */
    public static PublicKey publicKey(String pem) {
        try {
            return KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(decode(pem, "PUBLIC KEY")));
        }
        catch (GeneralSecurityException ex) {
            throw new IllegalArgumentException("Not an X.509 RSA public key: " + ex.getMessage(), ex);
        }
    }

    /** The PEM text of a private key. */
    public static String pem(PrivateKey key) {
        return encode(key.getEncoded(), "PRIVATE KEY");
    }

    /** The PEM text of a public key. */
    public static String pem(PublicKey key) {
        return encode(key.getEncoded(), "PUBLIC KEY");
    }

    /** A new 2048-bit RSA key pair. */
    public static KeyPair generate() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(2048);
            return generator.generateKeyPair();
        }
        catch (GeneralSecurityException ex) {
            throw new IllegalStateException("RSA is not available", ex);
        }
    }

    private static byte[] decode(String pem, String type) {
        String begin = "-----BEGIN " + type + "-----";
        String end = "-----END " + type + "-----";
        int from = pem.indexOf(begin);
        int to = pem.indexOf(end);
        if (from < 0 || to < from) {
            throw new IllegalArgumentException("Expected PEM text between '" + begin + "' and '" + end + "'");
        }
        return Base64.getMimeDecoder().decode(pem.substring(from + begin.length(), to));
    }

    private static String encode(byte[] der, String type) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }
}
