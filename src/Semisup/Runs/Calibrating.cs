using Semisup.Data;
using Semisup.Models;
using Semisup.Recipes;
using Semisup.Training;

namespace Semisup.Runs;

/// <summary>A checkpoint's temperature and how it calibrates: on the validation images it was fitted on and, once a
/// run has measured it, on the test set (calibration.json in a run directory).</summary>
public sealed record CalibrationResult(string Checkpoint, int Epoch, double Temperature, CalibrationCheck Validation, CalibrationCheck? Test = null);

/// <summary>Temperature scaling (Guo et al. 2017) of checkpoints: one T fitted on a checkpoint's validation logits, to
/// minimise their negative log-likelihood, and stored in the checkpoint, whose scoring then divides the logits by it.</summary>
public static class Calibrating
{
    /// <summary>The temperature of <paramref name="model"/>'s raw validation logits, and the validation set's
    /// calibration without it and with it.</summary>
    public static (double Temperature, CalibrationCheck Check) Fit(Classifier model, ImageSet validation, int batchSize)
    {
        var logits = Evaluator.Logits(model, validation, batchSize);
        var labels = validation.Labels.data<long>().ToArray();
        double t = Calibration.FitTemperature(logits, model.Classes, labels);
        return (t, Calibration.Check(logits, model.Classes, labels, t));
    }

    /// <summary>Fits a checkpoint's temperature on <paramref name="validation"/> (whatever temperature it held is not
    /// used) and stores it in the file, atomically.</summary>
    public static CalibrationResult Calibrate(string path, ImageSet validation)
    {
        Checkpoint.RequireVerified(path, Checkpoint.ReadHeader(path));
        var (model, header) = Checkpoint.Load(path);
        using var _ = model;
        var (t, check) = Fit(model, validation, header.Recipe.Run.EvalBatch);
        Checkpoint.SaveTemperature(path, t);
        return new(Path.GetFileName(path), header.State.Epoch, t, check);
    }

    /// <summary>After training: best.ckpt's temperature, fitted on the run's validation images and stored in it and in
    /// last.ckpt, which holds the same weights when it is of the same epoch (else it gets its own, fitted alike);
    /// recorded in calibration.json.</summary>
    public static CalibrationResult CalibrateRun(RunDirectory dir, ImageSet validation)
    {
        var best = Calibrate(dir.BestPath, validation);
        if (File.Exists(dir.LastPath))
        {
            if (Checkpoint.ReadHeader(dir.LastPath).State.Epoch == best.Epoch) Checkpoint.SaveTemperature(dir.LastPath, best.Temperature);
            else Calibrate(dir.LastPath, validation);
        }
        dir.WriteCalibration(best);
        return best;
    }

    /// <summary>The validation images a checkpoint's recipe selected it on, recreated as training made them: the
    /// dataset's split (a pure function of dataset, labels, seed and scheme), or the folder's validation/ images, or
    /// the share of its labeled images <see cref="FolderSplit"/> draws.</summary>
    public static async Task<ImageSet> ValidationSetAsync(Recipe recipe, LocateData locate, ImageLoadOptions? images = null, CancellationToken cancel = default)
    {
        if (recipe.Data.Folder == null)
        {
            var (ds, files) = await locate.ReadAsync(recipe.Data.Dataset);
            var split = Split.Create(ds.Name, files.TrainLabels.Data, recipe.Data.Labels, recipe.Data.Seed, recipe.Data.Split);
            using var train = ImageSet.From(files.TrainImages, files.TrainLabels, $"{ds.Name} train");
            return train.Subset(split.Validation);
        }
        var set = FolderData.Read(recipe, images ?? new(), cancel: cancel);
        using var data = RunData.From(set, FolderSplit.Create(set, recipe.Data.Labels, recipe.Data.Seed));
        return data.Validation.Subset([.. Enumerable.Range(0, (int)data.Validation.Count)]);
    }
}
