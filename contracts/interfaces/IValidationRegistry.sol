// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.28;

/// @title ERC-8004 Validation Registry (Trustless Agents, spec text of 2026-01-25), requests keyed
/// by agent
/// @notice Deviation from the spec (docs/erc8004.md): a request is identified by
/// `(agentId, requestHash)`, not by `requestHash` alone, so `validationResponse`,
/// `getValidationStatus` and `hasResponse` take the agent id too. With one global namespace any
/// agent could register another agent's `requestHash` first (front-running its transaction) and
/// block that validation request; per agent, nobody but the agent's operators can occupy it.
interface IValidationRegistry {
    // ------------------------------------------------------------------ events (as the spec)

    /// @notice `agentId` asked `validatorAddress` to check the work `requestHash` commits to.
    event ValidationRequest(
        address indexed validatorAddress, uint256 indexed agentId, string requestURI, bytes32 indexed requestHash
    );
    /// @notice The validator answered (0..100); the last answer stands.
    event ValidationResponse(
        address indexed validatorAddress,
        uint256 indexed agentId,
        bytes32 indexed requestHash,
        uint8 response,
        string responseURI,
        bytes32 responseHash,
        string tag
    );

    // ------------------------------------------------------------------ errors

    /// @notice The constructor was given no identity registry.
    error ZeroIdentityRegistry();
    /// @notice A request must name a validator.
    error ZeroValidator();
    /// @notice A request must commit to its work with a non-zero hash.
    error ZeroRequestHash();
    /// @notice A request must say where the work is.
    error EmptyRequestURI();
    /// @notice This agent already made a request with this hash.
    error RequestAlreadyExists(uint256 agentId, bytes32 requestHash);
    /// @notice Only the agent's owner or an approved operator may request a validation.
    error NotAgentOperator(address caller, uint256 agentId);
    /// @notice No request of this agent has this hash.
    error UnknownRequest(uint256 agentId, bytes32 requestHash);
    /// @notice Only the validator the request named may answer it.
    error NotValidator(address caller, address validatorAddress);
    /// @notice Answers are 0..100.
    error ResponseOutOfRange(uint8 response);

    // ------------------------------------------------------------------ functions

    /// @notice The Identity Registry whose agents may request validations.
    function getIdentityRegistry() external view returns (address);

    /// @notice Ask `validatorAddress` to check the work of `agentId` (owner or operator only).
    function validationRequest(address validatorAddress, uint256 agentId, string calldata requestURI, bytes32 requestHash)
        external;

    /// @notice The named validator answers the request `(agentId, requestHash)`.
    function validationResponse(
        uint256 agentId,
        bytes32 requestHash,
        uint8 response,
        string calldata responseURI,
        bytes32 responseHash,
        string calldata tag
    ) external;

    /// @notice The state of the request `(agentId, requestHash)` (the spec's tuple, `agentId`
    /// echoed); reverts `UnknownRequest`.
    function getValidationStatus(uint256 agentId, bytes32 requestHash)
        external
        view
        returns (
            address validatorAddress,
            uint256 agentId_,
            uint8 response,
            bytes32 responseHash,
            string memory tag,
            uint256 lastUpdate
        );

    /// @notice Whether the validator answered at least once (a 0 answer counts).
    function hasResponse(uint256 agentId, bytes32 requestHash) external view returns (bool);

    /// @notice Count and integer average (rounded down) of the agent's answered requests,
    /// optionally only from `validatorAddresses` and only with `tag`.
    function getSummary(uint256 agentId, address[] calldata validatorAddresses, string calldata tag)
        external
        view
        returns (uint64 count, uint8 averageResponse);

    /// @notice The request hashes of `agentId`, in request order.
    function getAgentValidations(uint256 agentId) external view returns (bytes32[] memory requestHashes);

    /// @notice The requests naming `validatorAddress`, as parallel lists of agent ids and hashes.
    function getValidatorRequests(address validatorAddress)
        external
        view
        returns (uint256[] memory agentIds, bytes32[] memory requestHashes);
}
