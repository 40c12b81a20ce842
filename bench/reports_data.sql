-- One tenant's year of sales, written with set-based SQL inside the project's schema.
-- Run by bench/reports.py once per tenant, as one transaction, with these parameters:
--   %(tenant)s uuid, %(slug)s, %(name)s, %(branches)s, %(products)s, %(categories)s,
--   %(sales)s (a multiple of 4 x branches: each branch cycles 1, 2, 3, 4 lines per sale),
--   %(days)s, %(last_day)s (date), %(password)s (a Django password hash), %(seed)s (-1..1).
-- Line figures follow cliqserve/catalog/pricing.py: ROUND(numeric, 2) rounds half away from
-- zero, which is ROUND_HALF_UP on these non-negative amounts.
-- Statements are separated by lines holding only "-- step: <name>"; each step is timed.

-- step: tenant, branches, devices, users
SELECT setseed(%(seed)s);

INSERT INTO tenants_tenant (id, created_at, updated_at, name, slug, currency, timezone, default_language,
                            is_active, allow_negative_stock, cashier_max_discount_percent, business_day_ends_at)
VALUES (%(tenant)s, now(), now(), %(name)s, %(slug)s, 'EUR', 'Europe/Madrid', 'en', true, false, 10, '03:00');

CREATE TEMP TABLE gb ON COMMIT DROP AS
SELECT i AS idx,
       gen_random_uuid() AS id,
       (ARRAY['Europe/Madrid', 'Europe/Lisbon', 'Atlantic/Canary', 'Europe/Paris'])[1 + mod(i, 4)] AS tz,
       'BR' || lpad((i + 1)::text, 2, '0') AS code,
       gen_random_uuid() AS device_id,
       gen_random_uuid() AS cashier_id
FROM generate_series(0, %(branches)s - 1) AS i;

INSERT INTO tenants_branch (id, created_at, updated_at, name, code, timezone, is_active, tenant_id)
SELECT id, now(), now(), 'Branch ' || (idx + 1), code, tz, true, %(tenant)s FROM gb;

INSERT INTO tenants_device (id, created_at, updated_at, name, code, is_active, last_seen_at, branch_id, tenant_id)
SELECT device_id, now(), now(), 'Till 1', 'POS' || lpad((idx + 1)::text, 2, '0'), true, NULL, id, %(tenant)s
FROM gb;

INSERT INTO accounts_user (password, last_login, is_superuser, id, email, first_name, last_name, role, is_active,
                           is_staff, date_joined, created_at, updated_at, branch_id, tenant_id)
SELECT %(password)s, NULL::timestamptz, false, gen_random_uuid(), 'admin@' || %(slug)s || '.bench.test', 'Chain',
       'Admin', 'tenant_admin', true, false, now(), now(), now(), NULL::uuid, %(tenant)s
UNION ALL
SELECT %(password)s, NULL, false, cashier_id, 'cashier-' || lower(code) || '@' || %(slug)s || '.bench.test',
       'Cashier', code, 'cashier', true, false, now(), now(), now(), id, %(tenant)s
FROM gb;

INSERT INTO tenants_deviceassignment (id, created_at, updated_at, device_id, user_id, tenant_id)
SELECT gen_random_uuid(), now(), now(), device_id, cashier_id, %(tenant)s FROM gb;

-- step: catalog (tax rates, categories, products, translations, stock levels)
CREATE TEMP TABLE gt ON COMMIT DROP AS
SELECT * FROM (VALUES (0, gen_random_uuid(), 'VAT 21%%', 21.00::numeric, false),
                      (1, gen_random_uuid(), 'VAT 10%% incl.', 10.00::numeric, true)) AS t(idx, id, name, rate, inclusive);

INSERT INTO catalog_taxrate (id, created_at, updated_at, change_seq, name, rate, inclusive, is_active, tenant_id)
SELECT id, now(), now(), idx + 1, name, rate, inclusive, true, %(tenant)s FROM gt;

CREATE TEMP TABLE gc ON COMMIT DROP AS
SELECT i AS idx, gen_random_uuid() AS id FROM generate_series(0, %(categories)s - 1) AS i;

INSERT INTO catalog_category (id, created_at, updated_at, change_seq, name, is_active, parent_id, tenant_id)
SELECT id, now(), now(), 3 + idx, 'Category ' || lpad((idx + 1)::text, 2, '0'), true, NULL, %(tenant)s FROM gc;

-- One product in ten untaxed, three in ten at 10 %% tax-inclusive, the rest at 21 %% exclusive.
CREATE TEMP TABLE gp ON COMMIT DROP AS
SELECT p.idx, p.id, p.sku, p.price, p.cat_id, t.id AS tax_id,
       coalesce(t.rate, 0) AS rate, coalesce(t.inclusive, false) AS inclusive,
       round(p.price / (1 + coalesce(t.rate, 0) / 100) * (0.45 + 0.3 * random())::numeric, 4) AS cost
FROM (SELECT i AS idx, gen_random_uuid() AS id, 'SKU-' || lpad((i + 1)::text, 5, '0') AS sku,
             round((0.5 + 49.5 * power(random(), 2))::numeric, 2) AS price,
             (SELECT id FROM gc WHERE gc.idx = mod(i, %(categories)s)) AS cat_id,
             CASE WHEN mod(i, 10) = 0 THEN NULL WHEN mod(i, 10) <= 3 THEN 1 ELSE 0 END AS tax_idx
      FROM generate_series(0, %(products)s - 1) AS i) AS p
LEFT JOIN gt AS t ON t.idx = p.tax_idx;

INSERT INTO catalog_product (id, created_at, updated_at, change_seq, sku, barcode, price, track_stock, is_active,
                             custom_fields, category_id, tenant_id, tax_rate_id)
SELECT id, now(), now(), 3 + %(categories)s + idx, sku, '', price, true, true, '{}', cat_id, %(tenant)s, tax_id
FROM gp;

INSERT INTO catalog_producttranslation (language_code, name, description, master_id, tenant_id)
SELECT 'en', 'Product ' || (idx + 1), '', id, %(tenant)s FROM gp;

INSERT INTO catalog_catalogcounter (id, created_at, updated_at, value, tenant_id)
VALUES (gen_random_uuid(), now(), now(), 3 + %(categories)s + %(products)s, %(tenant)s);

-- About one level in twenty is at or under its reorder level.
INSERT INTO inventory_stocklevel (id, created_at, updated_at, quantity, average_cost, reorder_level,
                                  low_stock_notified_at, branch_id, product_id, tenant_id)
SELECT gen_random_uuid(), now(), now(),
       CASE WHEN random() < 0.05 THEN floor(10 * random()) ELSE 20 + floor(200 * random()) END,
       gp.cost, 10, NULL, gb.id, gp.id, %(tenant)s
FROM gb CROSS JOIN gp;

-- step: shifts (one a day per till, closed; today's still open)
CREATE TEMP TABLE gs ON COMMIT DROP AS
SELECT gb.idx AS branch_idx, d, gen_random_uuid() AS id, (%(last_day)s::date - (%(days)s - 1) + d) AS day,
       ((%(last_day)s::date - (%(days)s - 1) + d) + time '07:30') AT TIME ZONE gb.tz AS opened_at,
       ((%(last_day)s::date - (%(days)s - 1) + d) + time '23:00') AT TIME ZONE gb.tz AS closed_at,
       d = %(days)s - 1 AS is_open
FROM gb CROSS JOIN generate_series(0, %(days)s - 1) AS d;

INSERT INTO sales_shift (id, created_at, updated_at, status, opened_at, opening_cash, closed_at, counted_cash,
                         expected_cash, variance, branch_id, cashier_id, closed_by_id, device_id, tenant_id)
SELECT gs.id, gs.opened_at, gs.opened_at, CASE WHEN is_open THEN 'open' ELSE 'closed' END, gs.opened_at, 100,
       CASE WHEN is_open THEN NULL ELSE gs.closed_at END, NULL, NULL, NULL, gb.id, gb.cashier_id,
       CASE WHEN is_open THEN NULL ELSE gb.cashier_id END, gb.device_id, %(tenant)s
FROM gs JOIN gb ON gb.idx = gs.branch_idx;

-- step: sales (1 % voided, 2 % refunded; 45 % cash, 45 % card, 10 % split)
CREATE TEMP TABLE gsale ON COMMIT DROP AS
SELECT n, gen_random_uuid() AS id, mod(n, %(branches)s) AS branch_idx, d, 1 + mod(n / %(branches)s, 4) AS nlines,
       ((%(last_day)s::date - (%(days)s - 1) + d) + time '08:00' + random() * interval '13 hours')
           AT TIME ZONE gb.tz AS sold_at,
       CASE WHEN r < 0.01 THEN 'void' WHEN r < 0.03 THEN 'refund' ELSE 'sale' END AS fate,
       CASE WHEN m < 0.45 THEN 'cash' WHEN m < 0.9 THEN 'card' ELSE 'split' END AS pay
FROM (SELECT n, floor(%(days)s * random())::int AS d, random() AS r, random() AS m
      FROM generate_series(0, %(sales)s - 1) AS n) AS s
JOIN gb ON gb.idx = mod(n, %(branches)s);

-- The refunded line of a refunded sale is its first (position 0), refunded whole.
CREATE TEMP TABLE gl ON COMMIT DROP AS
SELECT gen_random_uuid() AS id, sale_id, position, product_id, category_id, sku, name, quantity, unit_price,
       discount_percent, rate AS tax_rate, inclusive AS tax_inclusive, gross, discount,
       CASE WHEN inclusive THEN after - tax ELSE after END AS net, tax,
       CASE WHEN inclusive THEN after ELSE after + tax END AS total, unit_cost,
       CASE WHEN refunded THEN quantity ELSE 0 END AS refunded_quantity, refunded
FROM (SELECT *, CASE WHEN inclusive THEN round(after * rate / (100 + rate), 2)
                     ELSE round(after * rate / 100, 2) END AS tax
      FROM (SELECT *, gross - discount AS after
            FROM (SELECT *, round(gross * discount_percent / 100, 2) AS discount
                  FROM (SELECT s.id AS sale_id, x.pos AS position, gp.id AS product_id, gp.cat_id AS category_id,
                               gp.sku, 'Product ' || (gp.idx + 1) AS name, x.quantity, gp.price AS unit_price,
                               x.discount_percent, gp.rate, gp.inclusive, gp.cost AS unit_cost,
                               round(gp.price * x.quantity, 2) AS gross,
                               (s.fate = 'refund' AND x.pos = 0) AS refunded
                        FROM gsale AS s
                        CROSS JOIN LATERAL (
                            SELECT pos, floor(%(products)s * power(random(), 2))::int AS pidx,
                                   (1 + floor(3 * power(random(), 3)))::numeric AS quantity,
                                   CASE WHEN random() < 0.1 THEN 10.00 ELSE 0.00 END::numeric AS discount_percent
                            FROM generate_series(0, s.nlines - 1) AS pos) AS x
                        JOIN gp ON gp.idx = x.pidx) AS l1) AS l2) AS l3) AS l4;

CREATE TEMP TABLE gtot ON COMMIT DROP AS
SELECT s.*, t.subtotal, t.discount_total, t.tax_total, t.total, t.cost_total, t.refunded_total,
       CASE WHEN s.pay = 'cash' THEN ceil(t.total / 5) * 5 ELSE t.total END AS paid,
       round(t.total * 0.4, 2) AS split_cash
FROM gsale AS s
JOIN (SELECT sale_id, sum(gross) AS subtotal, sum(discount) AS discount_total, sum(tax) AS tax_total,
             sum(total) AS total, sum(unit_cost * quantity) AS cost_total,
             sum(CASE WHEN refunded THEN total ELSE 0 END) AS refunded_total
      FROM gl GROUP BY sale_id) AS t ON t.sale_id = s.id;

INSERT INTO sales_sale (id, created_at, updated_at, receipt_number, status, origin, client_id, sold_at, currency,
                        subtotal, discount_total, tax_total, total, paid, change_due, cost_total, refunded_total,
                        needs_review, review_reasons, voided_at, void_reason, review_note, branch_id, cashier_id,
                        device_id, tenant_id, voided_by_id, shift_id)
SELECT t.id, t.sold_at, t.sold_at,
       gb.code || '-POS' || lpad((gb.idx + 1)::text, 2, '0') || '-'
           || lpad((row_number() OVER (PARTITION BY t.branch_idx ORDER BY t.sold_at, t.n))::text, 6, '0'),
       CASE t.fate WHEN 'void' THEN 'voided'
                   WHEN 'refund' THEN CASE WHEN t.nlines = 1 THEN 'refunded' ELSE 'partially_refunded' END
                   ELSE 'completed' END,
       'online', NULL, t.sold_at, 'EUR', t.subtotal, t.discount_total, t.tax_total, t.total, t.paid,
       t.paid - t.total, t.cost_total, t.refunded_total, false, '[]',
       CASE WHEN t.fate = 'void' THEN t.sold_at + interval '2 minutes' END,
       CASE WHEN t.fate = 'void' THEN 'Wrong items' ELSE '' END, '',
       gb.id, gb.cashier_id, gb.device_id, %(tenant)s,
       CASE WHEN t.fate = 'void' THEN gb.cashier_id END, gs.id
FROM gtot AS t
JOIN gb ON gb.idx = t.branch_idx
JOIN gs ON gs.branch_idx = t.branch_idx AND gs.d = t.d;

INSERT INTO sales_saleline (id, created_at, updated_at, position, sku, name, quantity, unit_price, price_overridden,
                            discount_percent, tax_rate, tax_inclusive, gross, discount, net, tax, total, unit_cost,
                            refunded_quantity, product_id, sale_id, tenant_id, category_id)
SELECT gl.id, s.sold_at, s.sold_at, position, sku, name, quantity, unit_price, false, discount_percent, tax_rate,
       tax_inclusive, gross, discount, net, tax, total, unit_cost, refunded_quantity, product_id, sale_id,
       %(tenant)s, category_id
FROM gl JOIN gsale AS s ON s.id = gl.sale_id;

-- step: payments (cash tendered rounded up to 5, change given back)
INSERT INTO sales_payment (id, created_at, updated_at, method, amount, reference, tenant_id, sale_id)
SELECT gen_random_uuid(), sold_at, sold_at, 'cash', paid, '', %(tenant)s, id FROM gtot WHERE pay = 'cash'
UNION ALL
SELECT gen_random_uuid(), sold_at, sold_at, 'card', total, '', %(tenant)s, id FROM gtot WHERE pay = 'card'
UNION ALL
SELECT gen_random_uuid(), sold_at, sold_at, 'cash', split_cash, '', %(tenant)s, id FROM gtot WHERE pay = 'split'
UNION ALL
SELECT gen_random_uuid(), sold_at, sold_at, 'card', total - split_cash, '', %(tenant)s, id
FROM gtot WHERE pay = 'split';

-- step: refunds (an hour or so after the sale, same shift; half restocked)
CREATE TEMP TABLE gr ON COMMIT DROP AS
SELECT gen_random_uuid() AS id, t.id AS sale_id, t.sold_at + (30 + 60 * random()) * interval '1 minute' AS at,
       random() < 0.5 AS restock, CASE WHEN t.pay = 'card' THEN 'card' ELSE 'cash' END AS method,
       gl.id AS line_id, gl.quantity, gl.gross, gl.discount, gl.tax, gl.total, gl.unit_cost,
       gs.id AS shift_id, gb.cashier_id
FROM gtot AS t
JOIN gl ON gl.sale_id = t.id AND gl.refunded
JOIN gb ON gb.idx = t.branch_idx
JOIN gs ON gs.branch_idx = t.branch_idx AND gs.d = t.d
WHERE t.fate = 'refund';

INSERT INTO sales_refund (id, created_at, updated_at, reason, restock, subtotal, discount_total, tax_total, total,
                          cost_total, actor_id, tenant_id, sale_id, shift_id)
SELECT id, at, at, 'Customer changed their mind', restock, gross, discount, tax, total, unit_cost * quantity,
       cashier_id, %(tenant)s, sale_id, shift_id
FROM gr;

INSERT INTO sales_refundline (id, created_at, updated_at, quantity, gross, discount, tax, total, unit_cost, refund_id,
                              tenant_id, sale_line_id)
SELECT gen_random_uuid(), at, at, quantity, gross, discount, tax, total, unit_cost, id, %(tenant)s, line_id FROM gr;

INSERT INTO sales_refundpayment (id, created_at, updated_at, method, amount, reference, refund_id, tenant_id)
SELECT gen_random_uuid(), at, at, method, total, '', id, %(tenant)s FROM gr;

-- step: closing figures and receipt counters
UPDATE sales_shift AS sh
SET expected_cash = 100 + coalesce(c.cash, 0), counted_cash = 100 + coalesce(c.cash, 0), variance = 0
FROM gs LEFT JOIN (
    SELECT shift_id, sum(amount) AS cash FROM (
        SELECT s.shift_id, p.amount - s.change_due AS amount
        FROM sales_payment AS p JOIN sales_sale AS s ON s.id = p.sale_id
        WHERE p.tenant_id = %(tenant)s AND p.method = 'cash' AND s.status <> 'voided'
        UNION ALL
        SELECT shift_id, -total FROM gr WHERE method = 'cash') AS m
    GROUP BY shift_id) AS c ON c.shift_id = gs.id
WHERE sh.id = gs.id AND NOT gs.is_open;

INSERT INTO sales_receiptsequence (id, created_at, updated_at, last_number, device_id, tenant_id)
SELECT gen_random_uuid(), now(), now(), count(*), gb.device_id, %(tenant)s
FROM gsale JOIN gb ON gb.idx = gsale.branch_idx GROUP BY gb.device_id;
