using Semisup.Recipes;

namespace Semisup.Training;

/// <summary>Where training records a run: its checkpoints, a line of metrics per epoch and its TensorBoard events.
/// The run directory (Runs/RunDirectory.cs) is the one home of their format; the loop knows only this.</summary>
public interface IRunRecord
{
    /// <summary>Where the record is, for messages.</summary>
    string Path { get; }
    string BestPath { get; }
    string LastPath { get; }
    string TensorBoardPath { get; }

    /// <summary>The epoch the last checkpoint holds on disk; 0 before the first is saved.</summary>
    int SavedEpoch { get; }

    /// <summary>Refuses a record that holds a run already, for a new run into it; clears what a run that never saved left.</summary>
    void RefuseUsed();

    /// <summary>Deletes what a save that was cut short left.</summary>
    void RemoveUnfinishedSaves();

    IReadOnlyList<EpochMetrics> ReadMetrics();

    /// <param name="savedEpoch">The epoch the last checkpoint holds, for the message if writing fails.</param>
    void AppendMetrics(EpochMetrics metrics, int savedEpoch);

    /// <summary>Drops the metrics after <paramref name="epoch"/>, for a run that goes back to its checkpoint there.</summary>
    void TrimMetrics(int epoch);
}
