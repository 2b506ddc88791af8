// An SMS centre for the integration tests: npm's `smpp` server (SMPP 3.4), so the hotline's client is checked
// against a third-party implementation of the protocol, not against itself.
//
// Driven over stdin/stdout, one JSON object a line:
//   out {"event":"listening","port":N}            once, when it listens on 127.0.0.1
//   out {"event":"bound","system_id":…}           a transceiver bound (with the right password)
//   out {"event":"refused","system_id":…}         a bind with a wrong password (ESME_RBINDFAIL)
//   out {"event":"submit","id":…,"from":…,"to":…,"text":…,"coding":…,"receipt":bool}
//   in  {"cmd":"reply","from":"138…","text":"TD"}   a mobile's message to the hotline (deliver_sm)
// Every submit_sm is answered with a message id and, when asked for, followed by a delivery receipt
// (esm_class 4, text as in the specification's Appendix B): DELIVRD, or UNDELIV for numbers starting 1700.
import readline from 'node:readline';
import smpp from 'smpp';

const SYSTEM_ID = process.env.SMSC_SYSTEM_ID || 'zhitong';
const PASSWORD = process.env.SMSC_PASSWORD || 'smscpass';
const say = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const sessions = new Set();
let next = 1000;

const stamp = () => {
  const d = new Date();
  const p = (n) => String(n).padStart(2, '0');
  return `${p(d.getUTCFullYear() % 100)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}`;
};

const text = (pdu) => {
  const m = pdu.message_payload ?? pdu.short_message;
  if (m && typeof m.message === 'string') return m.message;
  if (m && Buffer.isBuffer(m.message)) return m.message.toString();
  return Buffer.isBuffer(m) ? m.toString() : String(m ?? '');
};

const server = smpp.createServer({}, (session) => {
  session.on('bind_transceiver', (pdu) => {
    session.pause();
    if (pdu.system_id === SYSTEM_ID && pdu.password === PASSWORD) {
      session.send(pdu.response());
      sessions.add(session);
      say({ event: 'bound', system_id: pdu.system_id });
      session.resume();
    } else {
      say({ event: 'refused', system_id: pdu.system_id });
      session.send(pdu.response({ command_status: smpp.ESME_RBINDFAIL }));
      session.close();
    }
  });
  session.on('submit_sm', (pdu) => {
    const id = String(next++);
    const receipt = (pdu.registered_delivery & 0x03) !== 0;
    say({ event: 'submit', id, from: pdu.source_addr, to: pdu.destination_addr, text: text(pdu), coding: pdu.data_coding, receipt });
    session.send(pdu.response({ message_id: id }));
    if (receipt) {
      const stat = pdu.destination_addr.startsWith('1700') ? 'UNDELIV' : 'DELIVRD';
      const dlvrd = stat === 'DELIVRD' ? '001' : '000';
      setTimeout(() => session.deliver_sm({
        source_addr: pdu.destination_addr,
        destination_addr: pdu.source_addr,
        esm_class: smpp.ESM_CLASS.MC_DELIVERY_RECEIPT,
        short_message: `id:${id} sub:001 dlvrd:${dlvrd} submit date:${stamp()} done date:${stamp()} stat:${stat} err:000 text:`,
      }), 20);
    }
  });
  session.on('enquire_link', (pdu) => session.send(pdu.response()));
  session.on('unbind', (pdu) => { session.send(pdu.response()); session.close(); });
  session.on('close', () => sessions.delete(session));
  session.on('error', () => sessions.delete(session));
});

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  const c = JSON.parse(line);
  if (c.cmd === 'reply') {
    for (const s of sessions) {
      s.deliver_sm({ source_addr: c.from, destination_addr: '10690001', data_coding: 8, short_message: { message: c.text } });
    }
  }
});
process.stdin.on('end', () => process.exit(0));

server.listen(0, '127.0.0.1', () => say({ event: 'listening', port: server.address().port }));
