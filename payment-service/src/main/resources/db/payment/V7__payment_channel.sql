-- The channel each payment is made through (simulator, alipay, wechat), chosen per payment. Every payment made
-- before channels could be chosen went through the simulator's protocol.
ALTER TABLE payment ADD COLUMN channel VARCHAR(16) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL DEFAULT 'simulator'
    AFTER currency;
-- What the user pays with, as the channel answered the trade's creation: Alipay's QR code content, WeChat Pay's
-- code_url, the simulator's pay address. Alipay and WeChat Pay give their own trade number only once the trade is
-- paid, so a trade is known to be open when either this or channel_trade_no is set.
ALTER TABLE payment ADD COLUMN pay_code VARCHAR(1024) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL
    AFTER channel_trade_no;
