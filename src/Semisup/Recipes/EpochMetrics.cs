namespace Semisup.Recipes;

/// <summary>One epoch's line of metrics.jsonl: what a run records beside its recipe as it trains, written in the
/// recipe's JSON form. The trainer writes it; the reports read it without knowing the trainer.</summary>
public sealed record EpochMetrics(
    int Epoch, long Step, double SupervisedLoss, double UnsupervisedLoss, double TrainLoss,
    double ValidationLoss, double ValidationAccuracy, double LearningRate, double WallSeconds, double StepsPerSecond, double RssMegabytes = 0,
    double ManagedMegabytes = 0, double CommittedMegabytes = 0);
