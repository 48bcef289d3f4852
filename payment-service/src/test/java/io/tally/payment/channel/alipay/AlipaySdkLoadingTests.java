package io.tally.payment.channel.alipay;

import java.security.Security;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Alipay's SDK blanks {@code jdk.certpath.disabledAlgorithms} for the whole JVM when its client class loads (a
 * static initializer of {@code AbstractAlipayClient}): every certificate path checked afterwards, TLS to the
 * database or to WeChat Pay included, would accept MD5 and 1024-bit RSA. Enabling Alipay must not do that.
 */
class AlipaySdkLoadingTests {

    @Test
    void enablingAlipayLeavesTheJvmsCertificatePathPolicyAsItWas() throws Exception {
        String before = Security.getProperty(AlipayChannel.CERT_PATH_POLICY);
        assertThat(before).as("the JDK's policy").contains("MD2");

        Class.forName(AlipayChannel.class.getName(), true, AlipayChannel.class.getClassLoader());
        Class.forName("com.alipay.api.DefaultAlipayClient", true, AlipayChannel.class.getClassLoader());

        assertThat(Security.getProperty(AlipayChannel.CERT_PATH_POLICY)).isEqualTo(before);
    }
}
