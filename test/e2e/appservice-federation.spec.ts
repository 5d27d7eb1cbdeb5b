import { federatedAppserviceSuite } from '../support/federated-appservice-suite';
import { startLatticePeer } from '../support/federation-peer';

/** An application service here, in a room with users of a second Lattice deployment. */
federatedAppserviceSuite({ name: 'Lattice B', start: startLatticePeer });
