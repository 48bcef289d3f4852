package io.tally.inventory.stock;

/** The stock of one order: reserved, then committed (paid) or released (cancelled); or rejected. */
enum ReservationStatus {
    RESERVED, COMMITTED, RELEASED, REJECTED
}
