// The shop's data layer on its order-confirmation page: the order and its (fake) buyer, as a
// site exposes them to its tag manager. Kept if something earlier already pushed a purchase.
window.dataLayer = window.dataLayer || [];
if (!window.dataLayer.some((e) => e && e.event === 'purchase')) {
  window.dataLayer.push({
    event: 'purchase',
    transaction_id: 'T-1001',
    value: 24.5,
    currency: 'EUR',
    user_data: { email: 'jan.jansen@example.com', phone: '+31 6 12345678' },
  });
}
