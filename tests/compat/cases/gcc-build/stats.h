double mean(const double *values, int count);
double stddev(const double *values, int count);
