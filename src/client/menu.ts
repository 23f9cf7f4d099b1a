/**
 * The numbered menu of seed 002's client (`udp-chat chat --menu`): 1 public chat, 2 private
 * chat, 3 rename, 0 exit. A state machine over the lines the user types: each one gives what to
 * send to the room and what to show, so the CLI only prints and sends. Pure: no sockets, no I/O.
 */

/** The menu, as printed. */
export const MENU_LINES: readonly string[] = ['1. public chat', '2. private chat', '3. rename', '0. exit'];

/** The word that leaves a mode for the menu, as in the tutorial. */
export const BACK = 'exit';

/** What one typed line comes to: messages for the room, lines for the user, and whether to leave. */
export interface MenuStep {
  send: string[];
  show: string[];
  quit: boolean;
}

type Mode = 'menu' | 'public' | 'who' | 'private' | 'rename';

function step(send: string[], show: string[], quit = false): MenuStep {
  return { send, show, quit };
}

/** One user's menu: where they are, and whom a private chat is with. */
export class Menu {
  private mode: Mode = 'menu';
  private to = '';

  /** What to show first: the menu. */
  start(): MenuStep {
    return step([], [...MENU_LINES]);
  }

  /** One line the user typed. */
  input(line: string): MenuStep {
    const text = line.trim();
    switch (this.mode) {
      case 'menu':
        return this.choose(text);
      case 'public':
        if (text === BACK) return this.back();
        // As typed: a /command works here as in the plain client.
        return text === '' ? step([], []) : step([line], []);
      case 'who':
        if (text === BACK) return this.back();
        if (text === '') return step([], ['send to whom? (a name from the list; exit returns to the menu)']);
        if (/\s/.test(text)) return step([], ['a name has no spaces; send to whom?']);
        this.to = text;
        this.mode = 'private';
        return step([], [`private chat with ${text}: each line goes to ${text} alone; exit returns to the menu`]);
      case 'private':
        if (text === BACK) return this.back();
        return text === '' ? step([], []) : step([`/msg ${this.to} ${line}`], []);
      case 'rename':
        this.mode = 'menu';
        if (text === '' || text === BACK) return step([], [...MENU_LINES]);
        return step([`/nick ${text}`], [...MENU_LINES]);
    }
  }

  private choose(choice: string): MenuStep {
    switch (choice) {
      case '1':
        this.mode = 'public';
        return step([], ['public chat: each line goes to everyone; exit returns to the menu']);
      case '2':
        this.mode = 'who';
        // The room's answer to /who is printed as it comes, like any line from the room.
        return step(['/who'], ['private chat: send to whom? (a name from the list; exit returns to the menu)']);
      case '3':
        this.mode = 'rename';
        return step([], ['new name:']);
      case '0':
        return step([], [], true);
      case '':
        return step([], []);
      default:
        return step([], ['choose 1, 2, 3 or 0', ...MENU_LINES]);
    }
  }

  private back(): MenuStep {
    this.mode = 'menu';
    return step([], [...MENU_LINES]);
  }
}
