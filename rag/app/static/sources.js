// When "Xem toàn bài" is opened, scroll the article to the quoted sentence.
element.addEventListener('toggle', (event) => {
  const details = event.target;
  if (!(details instanceof HTMLDetailsElement) || !details.open) return;
  const body = details.querySelector('.rv-article-body');
  const target = body && (body.querySelector('mark') || body.querySelector('.rv-in-passage'));
  if (target) body.scrollTop = Math.max(0, target.offsetTop - 48);
}, true);
