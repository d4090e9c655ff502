// What the whole app shares: the signed-in person (GET /api/me), the
// structures it administers, the reference lists, the structure being
// administered. Screens read it and subscribe to its changes.
import { api, ApiError } from './api';
import type { Me, Reference, Structure } from './types';

type Listener = () => void;

class Store {
  me: Me | null = null;
  /** True once the first GET /api/me answered (signed in or not). */
  ready = false;
  structures: Structure[] | null = null;
  structureId: number | null = null;
  notice = '';
  private reference: Promise<Reference> | null = null;
  private listeners = new Set<Listener>();

  subscribe(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  changed(): void {
    for (const l of this.listeners) l();
  }

  isAdmin(): boolean {
    return !!this.me && (!!this.me.operator || (this.me.administers?.length ?? 0) > 0);
  }

  currentMailbox() {
    return this.me?.mailboxes.find((m) => m.id === this.me?.current_mailbox_id) || this.me?.mailboxes[0] || null;
  }

  async loadMe(): Promise<void> {
    try {
      this.setMe(await api.get<Me>('/api/me'));
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 401) {
        this.ready = true;
        this.changed();
        throw e;
      }
      this.me = null;
    }
    this.ready = true;
    this.changed();
  }

  setMe(me: Me): void {
    const previous = this.me?.person.id;
    this.me = me;
    if (me.notice) this.notice = me.notice;
    if (previous !== me.person.id) {
      this.structures = null;
      this.structureId = null;
      this.reference = null;
    }
    this.changed();
  }

  signedOut(): void {
    this.me = null;
    this.structures = null;
    this.structureId = null;
    this.reference = null;
    this.changed();
  }

  async loadStructures(): Promise<Structure[]> {
    if (this.structures) return this.structures;
    const list = await api.get<Structure[]>('/api/structures');
    this.structures = list;
    const saved = Number(sessionStorage.getItem('caduce.structure'));
    const pick = list.find((s) => s.id === saved) || list[0];
    this.structureId = pick ? pick.id : null;
    this.changed();
    return list;
  }

  selectStructure(id: number): void {
    if (!this.structures?.some((s) => s.id === id)) return;
    this.structureId = id;
    sessionStorage.setItem('caduce.structure', String(id));
    this.changed();
  }

  structure(): Structure | null {
    return this.structures?.find((s) => s.id === this.structureId) || null;
  }

  loadReference(): Promise<Reference> {
    if (!this.reference) {
      this.reference = api.get<Reference>('/api/reference');
      this.reference.catch(() => (this.reference = null));
    }
    return this.reference;
  }
}

export const store = new Store();
