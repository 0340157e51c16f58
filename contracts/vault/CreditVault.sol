// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.37;

import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {PoseidonT5} from "poseidon-solidity/PoseidonT5.sol";

import {
    ICreditVault,
    NoteStatus,
    VaultParams,
    WithdrawOutputs,
    Groth16Proof,
    NoteView
} from "../interfaces/ICreditVault.sol";
import {IWithdrawVerifier, ISlashVerifier} from "../interfaces/IGroth16Verifiers.sol";
import {BabyJubJub} from "../libraries/BabyJubJub.sol";
import {CircuitParams} from "../libraries/CircuitParams.sol";
import {Field} from "../libraries/Field.sol";
import {LeanIMTAppend, LeanIMTAppendData} from "../libraries/LeanIMTAppend.sol";
import {SlashSignals, SLASH_SIGNALS} from "../libraries/SlashSignals.sol";
import {Tags} from "../libraries/Tags.sol";
import {WithdrawSignals, WITHDRAW_SIGNALS} from "../libraries/WithdrawSignals.sol";

/// @title CreditVault (abstract core): notes, LeanIMT of leaves, exits, slashes, pull payments
/// @notice PROTOCOL §3–§4, §7, §10, §11. Subclasses decide how value arrives (`deposit`) and
/// leaves (`_pay`). Amounts inside notes, leaves and proofs are accounting units (`unit` base
/// units each); `owed` and `burned` are token base units.
abstract contract CreditVault is ICreditVault, ReentrancyGuardTransient {
    /// @dev One storage slot per note (232 bits).
    struct Note {
        uint64 deposit;
        uint32 expiry;
        NoteStatus status;
        uint64 charged;
        uint64 penalties;
    }

    /// @dev One more slot while a note is exiting.
    struct Exit {
        address recipient;
        uint64 readyAt;
    }

    uint256 internal constant P = Field.P;
    uint256 private constant DAY = 86400;
    uint256 private constant MIN_EXIT_GRACE_DAYS = 2;
    uint256 private constant MIN_EXIT_DELAY = 2 days;
    /// @dev Upper bounds (docs/protocol-decisions.md, "Parameter bounds"): a note lives at most
    /// ten years, so `today + noteTtlDays` fits the stored `uint32` expiry for millions of years
    /// (and `_deposit` still refuses a value that would not fit, rather than truncating it); an
    /// exit waits at most a year, so `block.timestamp + exitDelay` cannot wrap the `uint64`
    /// `readyAt` of an exit inside its window.
    uint256 private constant MAX_NOTE_TTL_DAYS = 3650;
    uint256 private constant MAX_EXIT_GRACE_DAYS = 365;
    uint256 private constant MAX_EXIT_DELAY = 365 days;
    /// @dev A root must stay accepted at least one epoch plus this margin (the time a proof
    /// travels, clock skew); the chain's finality lag, which the contract cannot know, is added
    /// by the deploy command and checked again by clients at discovery.
    uint256 private constant MIN_ROOT_TTL_MARGIN = 5 minutes;
    uint256 private constant MAX_ROOT_EPOCH = 1 days;
    uint256 private constant MAX_ROOT_TTL = 30 days;
    uint256 private constant AMOUNT_LIMIT = 1 << 64;
    /// @dev Marks a recorded checkpoint (roots are < p < 2^254, so bit 255 is free).
    uint256 private constant RECORDED = 1 << 255;

    uint256 internal immutable UNIT;
    uint64 internal immutable C_MAX;
    uint64 internal immutable PENALTY_MAX;
    uint64 internal immutable RESERVE;
    uint64 internal immutable MIN_DEPOSIT;
    uint32 internal immutable NOTE_TTL_DAYS;
    uint32 internal immutable EXIT_GRACE_DAYS;
    uint64 internal immutable EXIT_DELAY;
    uint64 internal immutable ROOT_EPOCH;
    uint64 internal immutable ROOT_TTL;
    uint256 internal immutable SERVER_PK_X;
    uint256 internal immutable SERVER_PK_Y;
    bytes32 internal immutable PRICE_SCHEDULE_HASH;
    address internal immutable TREASURY;
    IWithdrawVerifier internal immutable WITHDRAW_VERIFIER;
    ISlashVerifier internal immutable SLASH_VERIFIER;
    bytes32 internal immutable WITHDRAW_VK_HASH;
    bytes32 internal immutable SLASH_VK_HASH;
    uint8 internal immutable MAX_DEPTH;

    mapping(uint256 id => Note) private _notes;
    mapping(uint256 id => Exit) private _exits;
    mapping(address account => uint256) private _owed;
    uint256 private _burned;
    LeanIMTAppendData private _tree;
    uint256 private _lastDepositEpoch;
    mapping(uint256 epoch => uint256) private _checkpoints;

    constructor(VaultParams memory p) {
        _checkParams(p);
        UNIT = p.unit;
        C_MAX = p.cMax;
        PENALTY_MAX = p.penaltyMax;
        RESERVE = p.reserve;
        MIN_DEPOSIT = p.minDeposit;
        NOTE_TTL_DAYS = p.noteTtlDays;
        EXIT_GRACE_DAYS = p.exitGraceDays;
        EXIT_DELAY = p.exitDelay;
        ROOT_EPOCH = p.rootEpoch;
        ROOT_TTL = p.rootTtl;
        SERVER_PK_X = p.serverPkX;
        SERVER_PK_Y = p.serverPkY;
        PRICE_SCHEDULE_HASH = p.priceScheduleHash;
        TREASURY = p.treasury;
        WITHDRAW_VERIFIER = IWithdrawVerifier(p.withdrawVerifier);
        SLASH_VERIFIER = ISlashVerifier(p.slashVerifier);
        WITHDRAW_VK_HASH = p.withdrawVkHash;
        SLASH_VK_HASH = p.slashVkHash;
        MAX_DEPTH = p.maxDepth;
    }

    function _checkParams(VaultParams memory p) private view {
        if (p.unit == 0) revert UnitIsZero();
        if (p.cMax == 0) revert CMaxIsZero();
        if (p.reserve < p.penaltyMax) revert ReserveBelowPenaltyMax(p.reserve, p.penaltyMax);
        uint256 floor = uint256(p.cMax) + p.reserve;
        if (p.minDeposit < floor) revert MinDepositBelowCMaxPlusReserve(p.minDeposit, floor);
        if (p.noteTtlDays == 0) revert NoteTtlIsZero();
        if (p.noteTtlDays > MAX_NOTE_TTL_DAYS) revert NoteTtlTooLong(p.noteTtlDays, MAX_NOTE_TTL_DAYS);
        if (p.exitGraceDays < MIN_EXIT_GRACE_DAYS) revert ExitGraceTooShort(p.exitGraceDays);
        if (p.exitGraceDays > MAX_EXIT_GRACE_DAYS) {
            revert ExitGraceTooLong(p.exitGraceDays, MAX_EXIT_GRACE_DAYS);
        }
        if (p.exitDelay < MIN_EXIT_DELAY) revert ExitDelayTooShort(p.exitDelay);
        if (p.exitDelay > MAX_EXIT_DELAY) revert ExitDelayTooLong(p.exitDelay, MAX_EXIT_DELAY);
        if (p.rootEpoch == 0) revert RootEpochIsZero();
        if (p.rootEpoch > MAX_ROOT_EPOCH) revert RootEpochTooLong(p.rootEpoch, MAX_ROOT_EPOCH);
        uint256 minRootTtl = uint256(p.rootEpoch) + MIN_ROOT_TTL_MARGIN;
        if (p.rootTtl < minRootTtl) revert RootTtlTooShort(p.rootTtl, minRootTtl);
        if (p.rootTtl > MAX_ROOT_TTL) revert RootTtlTooLong(p.rootTtl, MAX_ROOT_TTL);
        if (!BabyJubJub.isOnCurve(p.serverPkX, p.serverPkY)) {
            revert ServerKeyNotOnCurve(p.serverPkX, p.serverPkY);
        }
        // The identity (0, 1) has order 1, not L.
        if (p.serverPkX == 0 || !BabyJubJub.hasOrderDividingL(p.serverPkX, p.serverPkY)) {
            revert ServerKeyNotInSubgroup(p.serverPkX, p.serverPkY);
        }
        if (p.treasury == address(0)) revert TreasuryIsZero();
        if (p.withdrawVerifier.code.length == 0) revert VerifierHasNoCode(p.withdrawVerifier);
        if (p.slashVerifier.code.length == 0) revert VerifierHasNoCode(p.slashVerifier);
        if (p.withdrawVkHash == bytes32(0) || p.slashVkHash == bytes32(0)) revert VkHashIsZero();
        _checkVkHash(p.withdrawVerifier, p.withdrawVkHash);
        _checkVkHash(p.slashVerifier, p.slashVkHash);
        if (p.maxDepth != CircuitParams.MAX_DEPTH) revert MaxDepthMismatch(p.maxDepth, CircuitParams.MAX_DEPTH);
    }

    /// @dev The generated verifiers expose `bytes32 public constant VK_HASH` (prover/circuits/vkey.py),
    /// and the pinned hash must be the one of the key the verifier embeds (§15). A verifier without
    /// the getter is refused: the pin would then say nothing about what the vault verifies.
    function _checkVkHash(address verifier, bytes32 expected) private view {
        (bool ok, bytes memory ret) = verifier.staticcall(abi.encodeWithSignature("VK_HASH()"));
        if (!ok || ret.length != 32) revert VerifierLacksVkHash(verifier);
        bytes32 embedded = abi.decode(ret, (bytes32));
        if (embedded != expected) revert VkHashMismatch(verifier, expected, embedded);
    }

    // ------------------------------------------------------------------ deposit (§4)

    /// @dev Register note `id` for `amount` base units that have already arrived.
    function _deposit(uint256 id, uint256 amount) internal {
        if (id == 0 || id >= P) revert IdNotCanonical(id);
        if (_notes[id].status != NoteStatus.None) revert IdAlreadyUsed(id);
        if (amount % UNIT != 0) revert DepositNotMultipleOfUnit(amount, UNIT);
        uint256 d = amount / UNIT;
        if (d < MIN_DEPOSIT) revert DepositBelowMinimum(d, MIN_DEPOSIT);
        if (d >= AMOUNT_LIMIT) revert DepositTooLarge(d);
        uint256 index = _tree.size;
        if (index >> MAX_DEPTH != 0) revert TreeFull(uint256(1) << MAX_DEPTH);

        uint256 epoch = block.timestamp / ROOT_EPOCH;
        if (epoch > _lastDepositEpoch) {
            // First deposit after a boundary: the current root is the checkpoint of `epoch`
            // (and of every boundary since the previous deposit).
            uint256 before = _tree.root;
            _checkpoints[epoch] = before | RECORDED;
            _lastDepositEpoch = epoch;
            emit RootCheckpointed(epoch, before);
        }

        uint256 expiry = block.timestamp / DAY + NOTE_TTL_DAYS;
        // Stored as uint32: refuse rather than truncate (unreachable before year ~11 million).
        if (expiry > type(uint32).max) revert ExpiryOutOfRange(expiry);
        uint256 leaf = PoseidonT5.hash([Tags.LEAF, id, d, expiry]);
        (, uint256 newRoot) = LeanIMTAppend.append(_tree, leaf);
        _notes[id] =
            Note({deposit: uint64(d), expiry: uint32(expiry), status: NoteStatus.Active, charged: 0, penalties: 0});
        emit Deposited(id, index, d, expiry, leaf, newRoot);
    }

    // ------------------------------------------------------------------ exits (§7)

    /// @inheritdoc ICreditVault
    function requestWithdrawal(
        Groth16Proof calldata proof,
        uint256 id,
        address recipient,
        bool pending,
        WithdrawOutputs calldata outputs
    ) external nonReentrant {
        Note memory note = _notes[id];
        if (note.status != NoteStatus.Active) revert NoteNotActive(id, note.status);
        uint256 lastExitDay = uint256(note.expiry) + EXIT_GRACE_DAYS;
        if (block.timestamp / DAY > lastExitDay) revert ExitWindowClosed(id, lastExitDay);
        if (recipient == address(0)) revert RecipientIsZero();
        if (outputs.charged >= AMOUNT_LIMIT) revert AmountOutOfRange(outputs.charged);
        if (outputs.penalties >= AMOUNT_LIMIT) revert AmountOutOfRange(outputs.penalties);
        if (outputs.nullifierT >= P) revert SignalNotCanonical(outputs.nullifierT);
        if (outputs.yW >= P) revert SignalNotCanonical(outputs.yW);
        if (outputs.charged + outputs.penalties > note.deposit) {
            revert WithdrawExceedsDeposit(outputs.charged, outputs.penalties, note.deposit);
        }

        uint256[WITHDRAW_SIGNALS] memory signals = WithdrawSignals.encode(
            WithdrawSignals.Inputs({
                id: id,
                charged: outputs.charged,
                penalties: outputs.penalties,
                nullifierT: outputs.nullifierT,
                yW: outputs.yW,
                serviceId: serviceId(),
                cMax: C_MAX,
                penaltyMax: PENALTY_MAX,
                serverPkX: SERVER_PK_X,
                serverPkY: SERVER_PK_Y,
                deposit: note.deposit,
                recipient: recipient,
                pending: pending
            })
        );
        try WITHDRAW_VERIFIER.verifyProof(proof.a, proof.b, proof.c, signals) returns (bool ok) {
            if (!ok) revert InvalidWithdrawProof();
        } catch {
            revert InvalidWithdrawProof();
        }

        // Fits uint64: this exit is inside its window, so today ≤ expiry + EXIT_GRACE_DAYS
        // < 2^32 + 365 days, and EXIT_DELAY ≤ 365 days (the constructor's bounds).
        uint64 readyAt = uint64(block.timestamp + EXIT_DELAY);
        note.status = NoteStatus.Exiting;
        note.charged = uint64(WithdrawSignals.charged(signals));
        note.penalties = uint64(WithdrawSignals.penalties(signals));
        _notes[id] = note;
        _exits[id] = Exit({recipient: WithdrawSignals.recipient(signals), readyAt: readyAt});
        emit WithdrawalRequested(
            WithdrawSignals.id(signals),
            WithdrawSignals.nullifierT(signals),
            WithdrawSignals.yW(signals),
            WithdrawSignals.pending(signals),
            WithdrawSignals.recipient(signals),
            note.charged,
            note.penalties,
            readyAt
        );
    }

    /// @inheritdoc ICreditVault
    function finalizeWithdrawal(uint256 id) external nonReentrant {
        Note memory note = _notes[id];
        if (note.status != NoteStatus.Exiting) revert NoteNotExiting(id, note.status);
        Exit memory exit_ = _exits[id];
        if (block.timestamp < exit_.readyAt) revert ExitDelayNotElapsed(id, exit_.readyAt);

        uint256 payout = (uint256(note.deposit) - note.charged - note.penalties) * UNIT;
        uint256 charged = uint256(note.charged) * UNIT;
        uint256 burnt = uint256(note.penalties) * UNIT;
        _notes[id].status = NoteStatus.Closed;
        delete _exits[id];
        if (payout != 0) _owed[exit_.recipient] += payout;
        if (charged != 0) _owed[TREASURY] += charged;
        if (burnt != 0) _burned += burnt;
        emit WithdrawalFinalized(id, exit_.recipient, payout, charged, burnt);
    }

    // ------------------------------------------------------------------ slashing (§10)

    /// @inheritdoc ICreditVault
    function slash(Groth16Proof calldata proof, uint256 id) external nonReentrant {
        Note memory note = _notes[id];
        bool exiting = note.status == NoteStatus.Exiting;
        if (note.status != NoteStatus.Active && !exiting) revert NoteNotSlashable(id, note.status);
        uint256[SLASH_SIGNALS] memory signals = SlashSignals.encode(id, serviceId());
        try SLASH_VERIFIER.verifyProof(proof.a, proof.b, proof.c, signals) returns (bool ok) {
            if (!ok) revert InvalidSlashProof();
        } catch {
            revert InvalidSlashProof();
        }
        uint256 amount = uint256(note.deposit) * UNIT;
        _notes[SlashSignals.id(signals)].status = NoteStatus.Slashed;
        if (exiting) delete _exits[id];
        _owed[TREASURY] += amount;
        emit Slashed(id, exiting, amount);
    }

    // ------------------------------------------------------------------ expiry sweep (§7)

    /// @inheritdoc ICreditVault
    function claimExpired(uint256 id) external nonReentrant {
        Note memory note = _notes[id];
        if (note.status != NoteStatus.Active) revert NoteNotActive(id, note.status);
        uint256 lastExitDay = uint256(note.expiry) + EXIT_GRACE_DAYS;
        if (block.timestamp / DAY <= lastExitDay) revert ExitWindowOpen(id, lastExitDay);
        uint256 amount = uint256(note.deposit) * UNIT;
        _notes[id].status = NoteStatus.Swept;
        _owed[TREASURY] += amount;
        emit Swept(id, amount);
    }

    // ------------------------------------------------------------------ pull payments

    /// @inheritdoc ICreditVault
    function withdrawOwed() external nonReentrant {
        _withdrawOwed(msg.sender);
    }

    /// @inheritdoc ICreditVault
    function withdrawOwedTo(address to) external nonReentrant {
        if (to == address(0)) revert RecipientIsZero();
        _withdrawOwed(to);
    }

    function _withdrawOwed(address to) private {
        uint256 amount = _owed[msg.sender];
        if (amount == 0) revert NothingOwed(msg.sender);
        _owed[msg.sender] = 0;
        emit OwedWithdrawn(msg.sender, to, amount);
        _pay(to, amount);
    }

    /// @dev Send `amount` base units to `to`; must revert if the transfer fails.
    function _pay(address to, uint256 amount) internal virtual;

    // ------------------------------------------------------------------ views

    /// @inheritdoc ICreditVault
    function serviceId() public view returns (uint256) {
        return uint256(keccak256(abi.encode(block.chainid, address(this)))) % P;
    }

    /// @inheritdoc ICreditVault
    function params() external view returns (VaultParams memory) {
        return VaultParams({
            unit: UNIT,
            cMax: C_MAX,
            penaltyMax: PENALTY_MAX,
            reserve: RESERVE,
            minDeposit: MIN_DEPOSIT,
            noteTtlDays: NOTE_TTL_DAYS,
            exitGraceDays: EXIT_GRACE_DAYS,
            exitDelay: EXIT_DELAY,
            rootEpoch: ROOT_EPOCH,
            rootTtl: ROOT_TTL,
            serverPkX: SERVER_PK_X,
            serverPkY: SERVER_PK_Y,
            priceScheduleHash: PRICE_SCHEDULE_HASH,
            treasury: TREASURY,
            withdrawVerifier: address(WITHDRAW_VERIFIER),
            slashVerifier: address(SLASH_VERIFIER),
            withdrawVkHash: WITHDRAW_VK_HASH,
            slashVkHash: SLASH_VK_HASH,
            maxDepth: MAX_DEPTH
        });
    }

    /// @inheritdoc ICreditVault
    function noteOf(uint256 id) external view returns (NoteView memory) {
        Note memory note = _notes[id];
        Exit memory exit_ = _exits[id];
        return NoteView({
            status: note.status,
            deposit: note.deposit,
            expiry: note.expiry,
            charged: note.charged,
            penalties: note.penalties,
            recipient: exit_.recipient,
            exitReadyAt: exit_.readyAt
        });
    }

    /// @inheritdoc ICreditVault
    function owedOf(address account) external view returns (uint256) {
        return _owed[account];
    }

    /// @inheritdoc ICreditVault
    function burned() external view returns (uint256) {
        return _burned;
    }

    /// @inheritdoc ICreditVault
    function root() public view returns (uint256) {
        return _tree.root;
    }

    /// @inheritdoc ICreditVault
    function treeSize() external view returns (uint256) {
        return _tree.size;
    }

    /// @inheritdoc ICreditVault
    function treeDepth() external view returns (uint256) {
        return LeanIMTAppend.depth(_tree);
    }

    /// @inheritdoc ICreditVault
    function currentDay() external view returns (uint256) {
        return block.timestamp / DAY;
    }

    /// @inheritdoc ICreditVault
    function currentEpoch() public view returns (uint256) {
        return block.timestamp / ROOT_EPOCH;
    }

    /// @inheritdoc ICreditVault
    function checkpointRoot(uint256 epoch) public view returns (uint256) {
        uint256 current = currentEpoch();
        if (epoch > current) revert EpochNotReached(epoch, current);
        uint256 last = _lastDepositEpoch;
        // The first deposit of each epoch records the root before it; an epoch without deposits
        // shares the checkpoint of the next epoch that had one (or the current root).
        for (uint256 e = epoch; e <= last; ++e) {
            uint256 recorded = _checkpoints[e];
            if (recorded != 0) return recorded & ~RECORDED;
        }
        return _tree.root;
    }

    /// @inheritdoc ICreditVault
    function latestCheckpoint() external view returns (uint256 epoch, uint256 root_) {
        epoch = currentEpoch();
        root_ = checkpointRoot(epoch);
    }
}
