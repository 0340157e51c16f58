// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.37;

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
    /// @param validatorAddress The validator named by the request.
    /// @param agentId The agent whose work is to be checked.
    /// @param requestURI Where the work is.
    /// @param requestHash The hash committing to the work (the request's key, per agent).
    event ValidationRequest(
        address indexed validatorAddress, uint256 indexed agentId, string requestURI, bytes32 indexed requestHash
    );
    /// @notice The validator answered (0..100); the last answer stands.
    /// @param validatorAddress The validator who answered.
    /// @param agentId The agent whose work was checked.
    /// @param requestHash The request's hash.
    /// @param response The answer, 0..100.
    /// @param responseURI Where the validator's report is.
    /// @param responseHash The hash of the report.
    /// @param tag A free-text tag of the answer.
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
    /// @param agentId The agent.
    /// @param requestHash The hash already in use.
    error RequestAlreadyExists(uint256 agentId, bytes32 requestHash);
    /// @notice Only the agent's owner or an approved operator may request a validation.
    /// @param caller The refused caller.
    /// @param agentId The agent it tried to act for.
    error NotAgentOperator(address caller, uint256 agentId);
    /// @notice No request of this agent has this hash.
    /// @param agentId The agent.
    /// @param requestHash The unknown hash.
    error UnknownRequest(uint256 agentId, bytes32 requestHash);
    /// @notice Only the validator the request named may answer it.
    /// @param caller The refused caller.
    /// @param validatorAddress The validator the request named.
    error NotValidator(address caller, address validatorAddress);
    /// @notice Answers are 0..100.
    /// @param response The refused answer.
    error ResponseOutOfRange(uint8 response);

    // ------------------------------------------------------------------ functions

    /// @notice The Identity Registry whose agents may request validations.
    /// @return The Identity Registry's address.
    function getIdentityRegistry() external view returns (address);

    /// @notice Ask `validatorAddress` to check the work of `agentId` (owner or operator only).
    /// @param validatorAddress The validator to ask (non-zero).
    /// @param agentId The agent whose work is to be checked.
    /// @param requestURI Where the work is (non-empty).
    /// @param requestHash The non-zero hash committing to the work, new for this agent.
    function validationRequest(
        address validatorAddress,
        uint256 agentId,
        string calldata requestURI,
        bytes32 requestHash
    ) external;

    /// @notice The named validator answers the request `(agentId, requestHash)`.
    /// @dev It may answer again: the last answer stands.
    /// @param agentId The agent whose work was checked.
    /// @param requestHash The request's hash.
    /// @param response The answer, 0..100.
    /// @param responseURI Where the validator's report is.
    /// @param responseHash The hash of the report.
    /// @param tag A free-text tag of the answer.
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
    /// @param agentId The agent.
    /// @param requestHash The request's hash.
    /// @return validatorAddress The validator the request named.
    /// @return agentId_ `agentId` again (the spec's tuple).
    /// @return response The last answer (0 before any answer: see `hasResponse`).
    /// @return responseHash The hash of the last report.
    /// @return tag The tag of the last answer.
    /// @return lastUpdate The timestamp of the request or of the last answer.
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
    /// @param agentId The agent.
    /// @param requestHash The request's hash.
    /// @return True once the named validator has answered.
    function hasResponse(uint256 agentId, bytes32 requestHash) external view returns (bool);

    /// @notice Count and integer average (rounded down) of the agent's answered requests,
    /// optionally only from `validatorAddresses` and only with `tag`.
    /// @param agentId The agent.
    /// @param validatorAddresses Only answers from these validators (empty: any).
    /// @param tag Only answers with this tag (empty: any).
    /// @return count The number of answered, matching requests.
    /// @return averageResponse Their average answer (0 when `count` is 0).
    function getSummary(uint256 agentId, address[] calldata validatorAddresses, string calldata tag)
        external
        view
        returns (uint64 count, uint8 averageResponse);

    /// @notice The request hashes of `agentId`, in request order.
    /// @param agentId The agent.
    /// @return requestHashes Its request hashes.
    function getAgentValidations(uint256 agentId) external view returns (bytes32[] memory requestHashes);

    /// @notice The requests naming `validatorAddress`, as parallel lists of agent ids and hashes.
    /// @param validatorAddress The validator.
    /// @return agentIds The agent of each request.
    /// @return requestHashes The hash of each request.
    function getValidatorRequests(address validatorAddress)
        external
        view
        returns (uint256[] memory agentIds, bytes32[] memory requestHashes);
}
