// The chat page's behaviour in the browser: every answer carries its own sources (rendered by the
// server into the answer's bubble); on a wide screen the panel beside the chat shows the sources of
// the answer last clicked (the latest by default), on a phone each answer shows them under itself.
// Nothing here talks to the server: the conversation lives in the page.
const wide = () => window.matchMedia('(min-width: 1024px)').matches;
const panel = element.querySelector('.rv-panel') || element;
const empty = panel.innerHTML;  // what the panel says before the first answer

function answers() {
  return Array.from(document.querySelectorAll('#rv-chat .rv-answer'));
}

function show(answer, n) {
  // the answer's own sources, copied into the panel; [n] marked and scrolled to. -> whether shown
  const own = answer && answer.querySelector('.rv-own');
  const body = own && own.querySelector('.rv-own-body');
  if (!body) return false;
  const all = answers();
  all.forEach((a) => a.classList.toggle('rv-current', a === answer));
  panel.innerHTML = body.innerHTML;
  panel.dataset.shows = String(all.indexOf(answer));  // which answer the panel holds (the tests wait on it)
  if (!wide() && n) own.open = true;
  const scope = wide() ? panel : own;
  scope.querySelectorAll('.rv-card.rv-target').forEach((c) => c.classList.remove('rv-target'));
  if (n) {
    const card = scope.querySelector(`.rv-card.rv-s${n}`);
    if (card) {
      card.classList.add('rv-target');
      card.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
    }
  }
  return true;
}

function plainText(answer) {
  // what "Sao chép" puts on the clipboard: the answer as read, then its sources
  const body = answer.querySelector('.rv-body');
  const lines = [body ? body.innerText.trim() : ''];
  answer.querySelectorAll('.rv-own .rv-card.rv-cited').forEach((card) => {
    const n = card.querySelector('.rv-badge')?.innerText || '';
    const title = card.querySelector('.rv-title')?.innerText || '';
    const link = card.querySelector('a.rv-link')?.href || card.querySelector('.rv-path')?.innerText || '';
    lines.push(`${n} ${title}${link ? ' — ' + link : ''}`);
  });
  return lines.join('\n');
}

async function copy(button) {
  const answer = button.closest('.rv-answer');
  const text = plainText(answer);
  try {
    await navigator.clipboard.writeText(text);
  } catch (e) {
    const area = document.createElement('textarea');
    area.value = text;
    document.body.appendChild(area);
    area.select();
    document.execCommand('copy');
    area.remove();
  }
  button.textContent = 'Đã chép';
  button.classList.add('rv-done');
  setTimeout(() => { button.textContent = 'Sao chép'; button.classList.remove('rv-done'); }, 1500);
}

document.addEventListener('click', (event) => {
  const target = event.target;
  if (!(target instanceof Element)) return;
  const button = target.closest('#rv-chat .rv-copy');
  if (button) {
    event.preventDefault();
    event.stopPropagation();
    copy(button);
    return;
  }
  const cite = target.closest('#rv-chat a.rv-cite');
  if (cite) {
    event.preventDefault();
    event.stopPropagation();
    const m = cite.getAttribute('href').match(/s(\d+)$/);
    picked(cite.closest('.rv-answer'), m ? m[1] : null);
    return;
  }
  const answer = target.closest('#rv-chat .rv-answer');
  if (answer && !target.closest('.rv-own')) picked(answer, null);
}, true);

// "Xem toàn bài": scroll the whole article to the quoted sentence
document.addEventListener('toggle', (event) => {
  const details = event.target;
  if (!(details instanceof HTMLDetailsElement) || !details.open || !details.classList.contains('rv-article')) return;
  const body = details.querySelector('.rv-article-body');
  const mark = body && (body.querySelector('mark') || body.querySelector('.rv-in-passage'));
  if (mark) body.scrollTop = Math.max(0, mark.offsetTop - 48);
}, true);

// a new answer: its sources go to the panel. The chat may insert an answer's bubble before its
// sources are rendered into it, or re-create the bubble, so the latest answer is shown on the first
// change that finds its sources, and again if its bubble is replaced, unless a reader picked another.
let seen = 0;
let shownLatest = null;
let readerPicked = false;

function picked(answer, n) {
  const all = answers();
  readerPicked = answer !== all[all.length - 1];
  show(answer, n);
}

new MutationObserver(() => {
  const all = answers();
  const latest = all[all.length - 1];
  if (all.length !== seen) {
    seen = all.length;
    readerPicked = false;
    if (!latest) {
      panel.innerHTML = empty;
      delete panel.dataset.shows;
      shownLatest = null;
      return;
    }
  }
  if (latest && !readerPicked && latest !== shownLatest && show(latest, null)) shownLatest = latest;
}).observe(document.body, { childList: true, subtree: true });
