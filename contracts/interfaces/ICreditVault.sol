// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.37;

/// @notice Lifecycle of a note (PROTOCOL §7). IDs are single-use forever: any status but `None`
/// refuses a new deposit under the same ID.
enum NoteStatus {
    None,
    Active,
    Exiting,
    Closed,
    Slashed,
    Swept
}

/// @notice Immutable parameters of one vault (PROTOCOL §3). Amounts (`cMax`, `penaltyMax`,
/// `reserve`, `minDeposit`) are in accounting units: `unit` token base units each, the unit the
/// circuits and the Merkle leaf use.
struct VaultParams {
    uint256 unit;
    uint64 cMax;
    uint64 penaltyMax;
    uint64 reserve;
    uint64 minDeposit;
    uint32 noteTtlDays;
    uint32 exitGraceDays;
    uint64 exitDelay;
    uint64 rootEpoch;
    uint64 rootTtl;
    uint256 serverPkX;
    uint256 serverPkY;
    bytes32 priceScheduleHash;
    address treasury;
    address withdrawVerifier;
    address slashVerifier;
    bytes32 withdrawVkHash;
    bytes32 slashVkHash;
    uint8 maxDepth;
}

/// @notice The outputs of a `withdraw` proof the caller supplies (checked by the proof).
struct WithdrawOutputs {
    uint256 charged;
    uint256 penalties;
    uint256 nullifierT;
    uint256 yW;
}

/// @notice A Groth16 proof in snarkjs calldata order (G2 coordinates already swapped).
struct Groth16Proof {
    uint256[2] a;
    uint256[2][2] b;
    uint256[2] c;
}

/// @notice Everything the vault stores about one note.
struct NoteView {
    NoteStatus status;
    uint64 deposit;
    uint32 expiry;
    uint64 charged;
    uint64 penalties;
    address recipient;
    uint64 exitReadyAt;
}

/// @title CreditVault: deposits, Merkle tree of notes, exits, slashes and pull payments
/// @notice One vault serves one service (PROTOCOL §3–§4, §7, §10, §11). All parameters are
/// immutable; nothing can pause exits; every payout is pulled through `withdrawOwed`.
interface ICreditVault {
    // ------------------------------------------------------------------ events

    /// @notice A note was registered; clients rebuild the tree from these events.
    /// @param deposit in accounting units (the `D` of the leaf and of the circuits)
    /// @param expiry day number (⌊unix time / 86400⌋) of the note's last usable day
    event Deposited(uint256 indexed id, uint256 index, uint256 deposit, uint256 expiry, uint256 leaf, uint256 root);
    /// @notice The root at a `rootEpoch` boundary was recorded (lazily, by the first deposit after it).
    event RootCheckpointed(uint256 indexed epoch, uint256 root);
    /// @notice An exit started; the gateway records `nullifierT` as spent and checks it for reuse.
    event WithdrawalRequested(
        uint256 indexed id,
        uint256 nullifierT,
        uint256 yW,
        bool pending,
        address indexed recipient,
        uint256 charged,
        uint256 penalties,
        uint256 readyAt
    );
    /// @notice An exit completed; amounts in token base units, credited to `owed`.
    event WithdrawalFinalized(
        uint256 indexed id, address indexed recipient, uint256 payout, uint256 charged, uint256 burned
    );
    /// @notice A note was slashed with a proof of knowledge of its secret; the deposit goes to the treasury.
    event Slashed(uint256 indexed id, bool exitCancelled, uint256 amount);
    /// @notice An expired note nobody exited was swept to the treasury.
    event Swept(uint256 indexed id, uint256 amount);
    /// @notice `account` pulled `amount` token base units it was owed, paid to `to`.
    event OwedWithdrawn(address indexed account, address indexed to, uint256 amount);

    // ------------------------------------------------------------------ errors (named after the rule)

    error IdNotCanonical(uint256 id);
    error IdAlreadyUsed(uint256 id);
    error DepositNotMultipleOfUnit(uint256 amount, uint256 unit);
    error DepositBelowMinimum(uint256 deposit, uint256 minDeposit);
    error DepositTooLarge(uint256 deposit);
    error TreeFull(uint256 maxLeaves);
    error NoteNotActive(uint256 id, NoteStatus status);
    error NoteNotExiting(uint256 id, NoteStatus status);
    error NoteNotSlashable(uint256 id, NoteStatus status);
    error ExitWindowClosed(uint256 id, uint256 lastExitDay);
    error ExitWindowOpen(uint256 id, uint256 lastExitDay);
    error ExitDelayNotElapsed(uint256 id, uint256 readyAt);
    error RecipientIsZero();
    error SignalNotCanonical(uint256 value);
    error AmountOutOfRange(uint256 value);
    error WithdrawExceedsDeposit(uint256 charged, uint256 penalties, uint256 deposit);
    error InvalidWithdrawProof();
    error InvalidSlashProof();
    error NothingOwed(address account);
    error PaymentFailed(address to, uint256 amount);
    error EpochNotReached(uint256 epoch, uint256 currentEpoch);
    /// @notice `today + noteTtlDays` does not fit the stored uint32 expiry (never truncated).
    error ExpiryOutOfRange(uint256 expiry);
    // constructor rules (PROTOCOL §3)
    error UnitIsZero();
    error CMaxIsZero();
    error ReserveBelowPenaltyMax(uint256 reserve, uint256 penaltyMax);
    error MinDepositBelowCMaxPlusReserve(uint256 minDeposit, uint256 cMaxPlusReserve);
    error NoteTtlIsZero();
    error NoteTtlTooLong(uint256 noteTtlDays, uint256 maxNoteTtlDays);
    error ExitGraceTooShort(uint256 exitGraceDays);
    error ExitGraceTooLong(uint256 exitGraceDays, uint256 maxExitGraceDays);
    error ExitDelayTooShort(uint256 exitDelay);
    error ExitDelayTooLong(uint256 exitDelay, uint256 maxExitDelay);
    error RootEpochIsZero();
    error RootEpochTooLong(uint256 rootEpoch, uint256 maxRootEpoch);
    /// @notice A checkpoint must stay accepted at least `rootEpoch` + 5 minutes (plus the
    /// chain's finality lag, which the deploy command and clients add: the contract cannot know it).
    error RootTtlTooShort(uint256 rootTtl, uint256 minRootTtl);
    error RootTtlTooLong(uint256 rootTtl, uint256 maxRootTtl);
    error ServerKeyNotOnCurve(uint256 x, uint256 y);
    error ServerKeyNotInSubgroup(uint256 x, uint256 y);
    error TreasuryIsZero();
    error VerifierHasNoCode(address verifier);
    error VkHashIsZero();
    error VkHashMismatch(address verifier, bytes32 pinned, bytes32 embedded);
    /// @notice The verifier does not expose `VK_HASH()`, so the pinned hash cannot be checked (§15).
    error VerifierLacksVkHash(address verifier);
    /// @notice `maxDepth` must be the depth the request circuit is compiled for (CircuitParams).
    error MaxDepthMismatch(uint256 maxDepth, uint256 circuitMaxDepth);
    error TokenHasNoCode(address token);

    // ------------------------------------------------------------------ state machine

    /// @notice Start an exit with a `withdraw` proof for the note's latest state (PROTOCOL §7).
    /// @dev Public inputs come from storage (D, service_id, c_max, penalty_max, server_pk) and from
    /// the caller (`recipient`, `pending`); the proof binds `recipient`, so a copied call pays the
    /// same recipient. Requires `Active` and `today ≤ expiry + exitGraceDays`.
    function requestWithdrawal(
        Groth16Proof calldata proof,
        uint256 id,
        address recipient,
        bool pending,
        WithdrawOutputs calldata outputs
    ) external;

    /// @notice Complete an exit after `exitDelay`: credit recipient, treasury and the burn counter.
    function finalizeWithdrawal(uint256 id) external;

    /// @notice Slash an `Active` or `Exiting` note with a `slash` proof of knowledge of its secret;
    /// cancels the exit, credits the whole deposit to the treasury (no bounty).
    function slash(Groth16Proof calldata proof, uint256 id) external;

    /// @notice Sweep an `Active` note whose exit window (`expiry + exitGraceDays`) has passed.
    function claimExpired(uint256 id) external;

    /// @notice Pull everything owed to the caller, to the caller.
    function withdrawOwed() external;

    /// @notice Pull everything owed to the caller, to `to` (for accounts that cannot receive).
    function withdrawOwedTo(address to) external;

    // ------------------------------------------------------------------ views

    /// @notice `uint256(keccak256(abi.encode(block.chainid, address(this)))) mod p` (PROTOCOL §2).
    function serviceId() external view returns (uint256);
    /// @notice All immutable parameters at once.
    function params() external view returns (VaultParams memory);
    function noteOf(uint256 id) external view returns (NoteView memory);
    function owedOf(address account) external view returns (uint256);
    /// @notice Penalty value locked in the vault forever, in token base units.
    function burned() external view returns (uint256);
    function root() external view returns (uint256);
    function treeSize() external view returns (uint256);
    function treeDepth() external view returns (uint256);
    /// @notice ⌊block.timestamp / 86400⌋.
    function currentDay() external view returns (uint256);
    /// @notice ⌊block.timestamp / rootEpoch⌋.
    function currentEpoch() external view returns (uint256);
    /// @notice The root after every deposit of epochs `< epoch`, i.e. the root at the boundary
    /// `epoch · rootEpoch` (a block stamped exactly on the boundary belongs to the new epoch).
    function checkpointRoot(uint256 epoch) external view returns (uint256);
    /// @notice The checkpoint of the current epoch's boundary, as seen at the queried block.
    function latestCheckpoint() external view returns (uint256 epoch, uint256 root);
    /// @notice Asset held: `address(0)` for native ETH, else the ERC-20.
    function asset() external view returns (address);
}
