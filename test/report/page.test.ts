// Pieces of the report page: escaping, and SVG made fit to sit inline beside other charts.
import assert from 'node:assert/strict';
import { describe as suite, test } from 'node:test';

import { inlineSvg } from '../../src/report/html.js';
import { escapeHtml, simpleTable } from '../../src/report/markup.js';

suite('report page', () => {
  test('escapeHtml escapes markup characters', () => {
    assert.equal(
      escapeHtml(`<a href="x">'&'</a>`),
      '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;',
    );
  });

  test('simpleTable escapes cells', () => {
    const html = simpleTable(['key'], [['<b>']]);
    assert.equal(
      html,
      '<table><thead><tr><th>key</th></tr></thead><tbody><tr><td>&lt;b&gt;</td></tr></tbody></table>',
    );
  });

  test('inlineSvg drops namespace URLs', () => {
    const svg =
      '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="2"></svg>';
    assert.equal(inlineSvg(svg, 'chart'), '<svg width="2"></svg>');
  });

  test('inlineSvg prefixes ids and references', () => {
    const svg =
      '<svg><clipPath id="clip1"></clipPath><g clip-path="url(#clip1)"><use href="#clip1"/></g></svg>';
    const inline = inlineSvg(svg, 'loss');
    assert.ok(inline.includes('id="loss-clip1"'), inline);
    assert.ok(inline.includes('url(#loss-clip1)'), inline);
    assert.ok(inline.includes('href="#loss-clip1"'), inline);
    assert.ok(!inline.includes('"clip1"'), inline);
  });
});
